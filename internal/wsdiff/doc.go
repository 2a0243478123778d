// Package wsdiff compares tcpflow with Wireshark frame by frame.
//
// It provides:
//   - Frame, what one tool says about one TCP frame: tcp.stream, relative
//     sequence and acknowledgment numbers, payload length, scaled window,
//     the set of tcp.analysis findings (Set of Name), and the frame a
//     segment acknowledges with the time since it (tcp.analysis.acks_frame
//     and ack_rtt);
//   - Ours, tcpflow's frames, taken from its documented JSON report
//     (docs/json-schema.md) so that the harness checks the published contract;
//   - Theirs, tshark's frames, from `tshark -T fields`, and ParseFields, the
//     parser of that output;
//   - Compare, which matches the two by frame number and returns a Report:
//     per field the frames compared and agreeing, every disagreement (Diff),
//     and per analysis name the false positives and false negatives;
//   - Known, the allowlist of documented differences (testdata/known-differences.tsv),
//     which marks matching Diffs as explained;
//   - CompareFiles, which runs both tools over many captures in parallel, and
//     WriteFiles, WriteTotal, WriteDiffs, WriteGroups and WriteFaults, the
//     tables the wsdiff command and the tests print.
//
// Frames are never dropped silently: a frame only one tool dissects as TCP is a
// Diff of field "tcp"; ICMP errors quoting a TCP header are compared on their
// stream only and counted; frames in which tshark found more than one TCP layer
// are not compared and are listed.
package wsdiff
