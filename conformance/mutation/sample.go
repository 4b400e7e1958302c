package mutation

import (
	"cmp"
	"hash/fnv"
	"math/rand/v2"
	"slices"
)

// Sample draws n of the mutants, deterministically for a seed: stratified by file and operator,
// each stratum's share proportional to its size (largest remainder; ties broken by a seeded
// order), and the mutants of a stratum drawn at random from it. Skipped mutants are not drawn.
// n <= 0 or n >= the number of runnable mutants returns all of them. The result is in the
// order of the input.
func Sample(all []*Mutant, n int, seed uint64) []*Mutant {
	strata := map[string][]*Mutant{}
	var keys []string
	total := 0
	for _, m := range all {
		if m.Skip != "" {
			continue
		}
		k := m.File + "|" + m.Operator
		if strata[k] == nil {
			keys = append(keys, k)
		}
		strata[k] = append(strata[k], m)
		total++
	}
	if n <= 0 || n >= total {
		n = total
	}
	slices.Sort(keys)

	// Proportional shares: the integer parts, then one more for the largest remainders.
	type share struct {
		key       string
		n         int
		remainder int // of size*n/total, in units of 1/total
		order     uint64
	}
	shares := make([]share, len(keys))
	given := 0
	for i, k := range keys {
		size := len(strata[k])
		shares[i] = share{key: k, n: size * n / total, remainder: size * n % total, order: keyed(seed, k)}
		given += shares[i].n
	}
	byRemainder := slices.Clone(shares)
	slices.SortFunc(byRemainder, func(a, b share) int {
		return cmp.Or(cmp.Compare(b.remainder, a.remainder), cmp.Compare(a.order, b.order))
	})
	extra := map[string]bool{}
	for _, s := range byRemainder[:n-given] {
		extra[s.key] = true
	}

	chosen := map[*Mutant]bool{}
	for _, s := range shares {
		k := s.n
		if extra[s.key] {
			k++
		}
		ms := slices.Clone(strata[s.key])
		r := rand.New(rand.NewPCG(seed, keyed(seed, s.key)))
		r.Shuffle(len(ms), func(i, j int) { ms[i], ms[j] = ms[j], ms[i] })
		for _, m := range ms[:k] {
			chosen[m] = true
		}
	}
	var out []*Mutant
	for _, m := range all {
		if chosen[m] {
			out = append(out, m)
		}
	}
	return out
}

// keyed is a seeded hash of a stratum's key.
func keyed(seed uint64, key string) uint64 {
	h := fnv.New64a()
	var b [8]byte
	for i := range b {
		b[i] = byte(seed >> (8 * i))
	}
	h.Write(b[:])
	h.Write([]byte(key))
	return h.Sum64()
}
