package mutation

import (
	"cmp"
	"hash/fnv"
	"math/rand/v2"
	"slices"
)

// Sample draws n of the mutants, deterministically for a seed, by operator first: every operator
// gets an equal share of n (capped at how many mutants it has; what a small operator cannot use
// goes to the others, evenly), so that the rare operators (boundaries, logical operators) are
// drawn at all; within an operator the share is spread over the files in proportion to their
// mutants (largest remainder, ties broken by a seeded order), and each file's mutants are drawn at
// random. Skipped mutants are not drawn. n <= 0 or n >= the number of runnable mutants returns all
// of them. The result is in the order of the input.
func Sample(all []*Mutant, n int, seed uint64) []*Mutant {
	byOp := map[string][]*Mutant{}
	total := 0
	for _, m := range all {
		if m.Skip != "" {
			continue
		}
		byOp[m.Operator] = append(byOp[m.Operator], m)
		total++
	}
	if n <= 0 || n >= total {
		n = total
	}
	chosen := map[*Mutant]bool{}
	for op, k := range evenShares(byOp, n, seed) {
		byFile := map[string][]*Mutant{}
		for _, m := range byOp[op] {
			byFile[m.File] = append(byFile[m.File], m)
		}
		for file, j := range proportionalShares(byFile, k, seed) {
			ms := slices.Clone(byFile[file])
			r := rand.New(rand.NewPCG(seed, keyed(seed, op+"|"+file)))
			r.Shuffle(len(ms), func(a, b int) { ms[a], ms[b] = ms[b], ms[a] })
			for _, m := range ms[:j] {
				chosen[m] = true
			}
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

// evenShares splits n over the groups equally, each capped at its size: a round gives every group
// that still has mutants the same number, and the last round's remainder goes to groups in a
// seeded order.
func evenShares(groups map[string][]*Mutant, n int, seed uint64) map[string]int {
	keys := seededKeys(groups, seed)
	got := map[string]int{}
	for n > 0 {
		var open []string
		for _, k := range keys {
			if got[k] < len(groups[k]) {
				open = append(open, k)
			}
		}
		if len(open) == 0 {
			break
		}
		each := max(n/len(open), 1)
		for _, k := range open {
			give := min(each, len(groups[k])-got[k], n)
			got[k] += give
			n -= give
		}
	}
	return got
}

// proportionalShares splits n over the groups in proportion to their sizes: the integer parts,
// then one more for the largest remainders (ties in a seeded order).
func proportionalShares(groups map[string][]*Mutant, n int, seed uint64) map[string]int {
	total := 0
	for _, g := range groups {
		total += len(g)
	}
	got := map[string]int{}
	if total == 0 {
		return got
	}
	type share struct {
		key       string
		remainder int
	}
	var shares []share
	given := 0
	for _, k := range seededKeys(groups, seed) {
		size := len(groups[k])
		got[k] = size * n / total
		given += got[k]
		shares = append(shares, share{k, size * n % total})
	}
	// A stable sort keeps the seeded order among equal remainders.
	slices.SortStableFunc(shares, func(a, b share) int { return cmp.Compare(b.remainder, a.remainder) })
	for _, s := range shares[:n-given] {
		got[s.key]++
	}
	return got
}

// seededKeys are the groups' keys in an order fixed by the seed.
func seededKeys(groups map[string][]*Mutant, seed uint64) []string {
	var keys []string
	for k := range groups {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int { return cmp.Or(cmp.Compare(keyed(seed, a), keyed(seed, b)), cmp.Compare(a, b)) })
	return keys
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
