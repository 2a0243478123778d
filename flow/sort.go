package flow

import "slices"

func sortByID[T any](cs []*Conn[T]) {
	slices.SortFunc(cs, func(a, b *Conn[T]) int { return a.ID - b.ID })
}
