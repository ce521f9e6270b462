package data

import "fmt"

// ReadIDXImages reads a gzipped idx image file (magic 2051, as MNIST's
// t10k-images-idx3-ubyte.gz) of n images of h×w bytes, returning the
// values scaled to [0, 1].
func ReadIDXImages(path string) (n, h, w int, pix []float32, err error) {
	dims, b, err := readIDXGz(idxFile{path: path}, idxImageMagic, 3)
	if err != nil {
		return 0, 0, 0, nil, err
	}
	pix = make([]float32, len(b))
	for i, v := range b {
		pix[i] = float32(v) / 255
	}
	return dims[0], dims[1], dims[2], pix, nil
}

// DecodePGM decodes a binary (P5) PGM image, returning its width, height
// and row-major values scaled to [0, 1].
func DecodePGM(b []byte) (w, h int, pix []float32, err error) {
	g, err := parsePGM(b)
	if err != nil {
		return 0, 0, nil, fmt.Errorf("PGM: %w", err)
	}
	return g.W, g.H, g.Pix, nil
}

// ResizeArea resamples a w×h single-channel image (row-major, values in
// [0, 1]) to ow×oh by area averaging, as the Yale B reader does.
func ResizeArea(src []float32, w, h, ow, oh int) []float32 {
	return resizeArea(src, w, h, ow, oh)
}
