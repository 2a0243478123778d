// Package chromium drives a headless Chromium through the DevTools
// protocol, for the end-to-end tests of the HTML report and for
// tools/htmlshot: open a page, wait for it to load, collect what it wrote
// to the console, the exceptions it threw and the requests it made, run
// JavaScript in it, and take screenshots.
//
// It uses only the few protocol commands it needs, over golang.org/x/net's
// websocket client, rather than a full DevTools library; Chromium is
// started as Debian's package runs it headless as root: no sandbox, no GPU,
// no background networking (the machines it runs on may have no network),
// a fresh profile in a temporary directory.
package chromium

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"time"

	"golang.org/x/net/websocket"
)

// Find returns the path of a Chromium: $TCPFLOW_CHROMIUM, or chromium,
// chromium-browser or google-chrome on the PATH.
func Find() (string, error) {
	if p := os.Getenv("TCPFLOW_CHROMIUM"); p != "" {
		return p, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no chromium, chromium-browser or google-chrome on the PATH (Debian: apt-get install chromium)")
}

// Browser is a running headless Chromium.
type Browser struct {
	cmd  *exec.Cmd
	dir  string
	port string
}

// Start starts the Chromium at path.
func Start(path string) (*Browser, error) {
	dir, err := os.MkdirTemp("", "tcpflow-chromium-*")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(path, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run", "--hide-scrollbars",
		"--remote-debugging-port=0", "--remote-allow-origins=*", "--user-data-dir="+dir, "about:blank")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	b := &Browser{cmd: cmd, dir: dir}
	// Chromium says where its DevTools listen on its standard error.
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if _, url, ok := strings.Cut(sc.Text(), "DevTools listening on "); ok {
				found <- url
				break
			}
		}
		close(found)
		io.Copy(io.Discard, stderr)
	}()
	select {
	case url, ok := <-found:
		if !ok {
			b.Close()
			return nil, fmt.Errorf("%s exited without opening its DevTools port", path)
		}
		// ws://127.0.0.1:PORT/devtools/browser/ID
		rest := strings.TrimPrefix(url, "ws://")
		b.port = rest[:strings.IndexByte(rest, '/')]
	case <-time.After(30 * time.Second):
		b.Close()
		return nil, fmt.Errorf("%s did not open its DevTools port within 30 s", path)
	}
	return b, nil
}

// Close stops the browser and removes its profile.
func (b *Browser) Close() error {
	if b.cmd.Process != nil {
		b.cmd.Process.Kill()
		b.cmd.Wait()
	}
	return os.RemoveAll(b.dir)
}

// Page is a browser tab.
type Page struct {
	ws     *websocket.Conn
	nextID int
	// Problems lists what the page wrote to the console, the exceptions
	// it threw and the browser's errors and warnings about it, in order.
	Problems []string
	// Requests lists the URLs the page asked for after the navigation.
	Requests []string
	loaded   bool
}

// NewPage opens a blank tab of width x height CSS pixels.
func (b *Browser) NewPage(width, height int) (*Page, error) {
	req, err := http.NewRequest(http.MethodPut, "http://"+b.port+"/json/new?about:blank", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var target struct {
		WebSocketDebuggerURL string `json:"webSocketDebuggerUrl"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&target); err != nil {
		return nil, fmt.Errorf("new tab: %w", err)
	}
	ws, err := websocket.Dial(target.WebSocketDebuggerURL, "", "http://localhost/")
	if err != nil {
		return nil, err
	}
	ws.MaxPayloadBytes = 256 << 20 // screenshots of long pages
	p := &Page{ws: ws}
	for _, m := range []string{"Page.enable", "Runtime.enable", "Log.enable", "Network.enable"} {
		if err := p.Call(m, nil, nil); err != nil {
			p.Close()
			return nil, err
		}
	}
	err = p.Call("Emulation.setDeviceMetricsOverride", map[string]any{"width": width, "height": height, "deviceScaleFactor": 1, "mobile": false}, nil)
	if err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}

// Close closes the connection to the tab.
func (p *Page) Close() error { return p.ws.Close() }

type message struct {
	ID     int             `json:"id"`
	Method string          `json:"method"`
	Params json.RawMessage `json:"params"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Message string `json:"message"`
	} `json:"error"`
}

// Call sends a command and waits for its answer, decoded into result
// (unless nil); the events that arrive meanwhile are recorded.
func (p *Page) Call(method string, params, result any) error {
	p.nextID++
	id := p.nextID
	req := map[string]any{"id": id, "method": method}
	if params != nil {
		req["params"] = params
	}
	if err := websocket.JSON.Send(p.ws, req); err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	for {
		m, err := p.receive()
		if err != nil {
			return fmt.Errorf("%s: %w", method, err)
		}
		if m.ID != id {
			continue
		}
		if m.Error != nil {
			return fmt.Errorf("%s: %s", method, m.Error.Message)
		}
		if result != nil {
			return json.Unmarshal(m.Result, result)
		}
		return nil
	}
}

// receive reads one message and records it if it is an event.
func (p *Page) receive() (*message, error) {
	p.ws.SetReadDeadline(time.Now().Add(120 * time.Second))
	var m message
	if err := websocket.JSON.Receive(p.ws, &m); err != nil {
		return nil, err
	}
	switch m.Method {
	case "Page.loadEventFired":
		p.loaded = true
	case "Runtime.consoleAPICalled":
		var e struct {
			Type string `json:"type"`
			Args []struct {
				Value       any    `json:"value"`
				Description string `json:"description"`
			} `json:"args"`
		}
		json.Unmarshal(m.Params, &e)
		var parts []string
		for _, a := range e.Args {
			if a.Description != "" {
				parts = append(parts, a.Description)
			} else {
				parts = append(parts, fmt.Sprint(a.Value))
			}
		}
		p.Problems = append(p.Problems, "console."+e.Type+": "+strings.Join(parts, " "))
	case "Runtime.exceptionThrown":
		var e struct {
			Details struct {
				Text      string `json:"text"`
				Exception struct {
					Description string `json:"description"`
				} `json:"exception"`
			} `json:"exceptionDetails"`
		}
		json.Unmarshal(m.Params, &e)
		p.Problems = append(p.Problems, "exception: "+e.Details.Text+" "+e.Details.Exception.Description)
	case "Log.entryAdded":
		var e struct {
			Entry struct {
				Level, Text, URL string
			} `json:"entry"`
		}
		json.Unmarshal(m.Params, &e)
		if e.Entry.Level == "error" || e.Entry.Level == "warning" {
			p.Problems = append(p.Problems, "log "+e.Entry.Level+": "+e.Entry.Text+" "+e.Entry.URL)
		}
	case "Network.requestWillBeSent":
		var e struct {
			Request struct {
				URL string `json:"url"`
			} `json:"request"`
		}
		json.Unmarshal(m.Params, &e)
		p.Requests = append(p.Requests, e.Request.URL)
	}
	return &m, nil
}

// Navigate loads url and waits for its load event; it returns the time
// from the request to the load event, as the page's own navigation timing
// measures it.
func (p *Page) Navigate(url string) (time.Duration, error) {
	p.loaded = false
	p.Requests = nil
	var nav struct {
		ErrorText string `json:"errorText"`
	}
	if err := p.Call("Page.navigate", map[string]any{"url": url}, &nav); err != nil {
		return 0, err
	}
	if nav.ErrorText != "" {
		return 0, fmt.Errorf("navigate to %s: %s", url, nav.ErrorText)
	}
	for !p.loaded {
		if _, err := p.receive(); err != nil {
			return 0, fmt.Errorf("waiting for %s to load: %w", url, err)
		}
	}
	var ms float64
	err := p.Eval(`(function(){var n=performance.getEntriesByType("navigation")[0];return n.loadEventEnd>0?n.loadEventEnd:n.loadEventStart;})()`, &ms)
	return time.Duration(ms * float64(time.Millisecond)), err
}

// Eval evaluates a JavaScript expression and decodes its value into out.
func (p *Page) Eval(expr string, out any) error {
	var r struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text string `json:"text"`
		} `json:"exceptionDetails"`
	}
	if err := p.Call("Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true, "awaitPromise": true}, &r); err != nil {
		return err
	}
	if r.ExceptionDetails != nil {
		return fmt.Errorf("evaluate: %s", r.ExceptionDetails.Text)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(r.Result.Value, out)
}

// Rect is an area of the page in CSS pixels.
type Rect struct {
	X      float64 `json:"x"`
	Y      float64 `json:"y"`
	Width  float64 `json:"width"`
	Height float64 `json:"height"`
}

// Screenshot returns a PNG of the area clip of the page (the viewport when
// nil), at scale.
func (p *Page) Screenshot(clip *Rect, scale float64) ([]byte, error) {
	params := map[string]any{"format": "png", "captureBeyondViewport": true}
	if clip != nil {
		params["clip"] = map[string]any{"x": clip.X, "y": clip.Y, "width": clip.Width, "height": clip.Height, "scale": scale}
	}
	var r struct {
		Data string `json:"data"`
	}
	if err := p.Call("Page.captureScreenshot", params, &r); err != nil {
		return nil, err
	}
	return base64.StdEncoding.DecodeString(r.Data)
}

// Drag presses the left mouse button at (x0, y0), moves to (x1, y1) in a few
// steps and releases it there; coordinates are in CSS pixels of the
// viewport.
func (p *Page) Drag(x0, y0, x1, y1 float64) error {
	ev := func(typ string, x, y float64, buttons int) error {
		return p.Call("Input.dispatchMouseEvent", map[string]any{"type": typ, "x": x, "y": y, "button": "left", "buttons": buttons, "clickCount": 1}, nil)
	}
	if err := ev("mouseMoved", x0, y0, 0); err != nil {
		return err
	}
	if err := ev("mousePressed", x0, y0, 1); err != nil {
		return err
	}
	for i := 1; i <= 4; i++ {
		f := float64(i) / 4
		if err := ev("mouseMoved", x0+f*(x1-x0), y0+f*(y1-y0), 1); err != nil {
			return err
		}
	}
	return ev("mouseReleased", x1, y1, 0)
}

// DoubleClick double-clicks the left mouse button at (x, y) of the viewport.
func (p *Page) DoubleClick(x, y float64) error {
	for i := 1; i <= 2; i++ {
		for _, typ := range []string{"mousePressed", "mouseReleased"} {
			if err := p.Call("Input.dispatchMouseEvent", map[string]any{"type": typ, "x": x, "y": y, "button": "left", "clickCount": i}, nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// Metrics returns the page's performance metrics (Performance.getMetrics:
// ThreadTime and ProcessTime are the renderer's CPU seconds, TaskDuration,
// LayoutDuration and ScriptDuration the main thread's busy seconds, Nodes the
// DOM's size, ...). Call EnableMetrics before the navigation they measure.
func (p *Page) Metrics() (map[string]float64, error) {
	var r struct {
		Metrics []struct {
			Name  string  `json:"name"`
			Value float64 `json:"value"`
		} `json:"metrics"`
	}
	if err := p.Call("Performance.getMetrics", nil, &r); err != nil {
		return nil, err
	}
	m := map[string]float64{}
	for _, x := range r.Metrics {
		m[x.Name] = x.Value
	}
	return m, nil
}

// EnableMetrics starts collecting the page's performance metrics.
func (p *Page) EnableMetrics() error { return p.Call("Performance.enable", nil, nil) }
