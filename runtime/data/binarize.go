package data

import "math/rand/v2"

// EvalBinarizeSeed seeds the one binarisation of validation and test
// images used when a run binarises its training data (data.binarize
// dynamic or fixed). It is the same for every run, so that the test ELBO
// and error of runs with different seeds are measured on the same 0/1
// images.
const EvalBinarizeSeed = 0x62696e6172697a65

// Streams of BinarizeKey, so that the draws of one seed never overlap.
const (
	StreamFixed      uint64 = 1 // data.binarize fixed: the training images at load time
	StreamUnlabelled uint64 = 2 // data.binarize dynamic: the unlabelled batch of a step
	StreamLabelled   uint64 = 3 // data.binarize dynamic: the labelled batch of a step
	StreamEval       uint64 = 4 // validation and test images (with EvalBinarizeSeed)
)

// BinarizeKey returns the two PCG seeds of one image's draw from a seed, a
// stream, and two counters (for a step's batch: the step and the position
// in the batch; for a split: 0 and the image index). The words are mixed
// with SplitMix64 so that neighbouring counters give unrelated draws.
func BinarizeKey(seed int64, stream, a, b uint64) (uint64, uint64) {
	h := splitmix(uint64(seed) ^ splitmix(stream))
	h = splitmix(h ^ a)
	return h, splitmix(h ^ splitmix(b+0x9e3779b97f4a7c15))
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// Binarize writes into dst (len(src) values) a Bernoulli draw of every
// grey value p of src in [0, 1]: 1 with probability p, else 0, from the
// generator seeded with (k1, k2). The uniforms have 24 bits, so p = 0
// always gives 0 and p = 1 always gives 1.
func Binarize(dst, src []float32, k1, k2 uint64) {
	r := rand.NewPCG(k1, k2)
	const scale = 1.0 / (1 << 24)
	for i, p := range src {
		u := float32(r.Uint64()>>40) * scale
		if u < p {
			dst[i] = 1
		} else {
			dst[i] = 0
		}
	}
}

// Binarized returns a copy of s whose images are binarised once, image i
// with the key BinarizeKey(seed, stream, 0, i): the first n images of a
// split get the same draws whatever its length. Labels and IDs are shared
// with s.
func (s *Split) Binarized(seed int64, stream uint64) *Split {
	out := *s
	out.Images = make([]float32, len(s.Images))
	d := s.ImageSize()
	for i := 0; i < s.N; i++ {
		k1, k2 := BinarizeKey(seed, stream, 0, uint64(i))
		Binarize(out.Images[i*d:(i+1)*d], s.Images[i*d:(i+1)*d], k1, k2)
	}
	return &out
}
