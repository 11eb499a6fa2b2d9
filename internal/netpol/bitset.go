package netpol

import "math/bits"

// bitset is a set of small non-negative integers (class IDs).
type bitset []uint64

func newBitset(n int) bitset { return make(bitset, (n+63)/64) }

func (b bitset) set(i int)      { b[i/64] |= 1 << (uint(i) % 64) }
func (b bitset) has(i int) bool { return i >= 0 && i/64 < len(b) && b[i/64]&(1<<(uint(i)%64)) != 0 }

// or adds every member of o.
func (b bitset) or(o bitset) {
	for i := range o {
		b[i] |= o[i]
	}
}

// each calls fn for every member, in increasing order.
func (b bitset) each(fn func(int)) {
	for i, w := range b {
		for w != 0 {
			t := bits.TrailingZeros64(w)
			fn(i*64 + t)
			w &= w - 1
		}
	}
}
