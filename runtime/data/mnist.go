package data

import (
	"fmt"
	"strings"
)

// digitLabel is the label of MNIST and SVHN: the digit 0–9.
func digitLabel() Label {
	return Label{Name: "digit", Kind: Categorical, Classes: 10, Doc: "the digit shown, 0–9"}
}

// fashionLabel is the label of Fashion-MNIST.
func fashionLabel() Label {
	return Label{Name: "item", Kind: Categorical, Classes: 10,
		Doc: "0 T-shirt/top, 1 trouser, 2 pullover, 3 dress, 4 coat, 5 sandal, 6 shirt, 7 sneaker, 8 bag, 9 ankle boot"}
}

// FashionClasses names the ten Fashion-MNIST classes by index.
func FashionClasses() []string {
	return []string{"T-shirt/top", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot"}
}

const mnistHint = "MNIST comes with the Go module " + gomnistModule + "@" + gomnistVersion +
	" (run `go mod download " + gomnistModule + "` in the module root), or put the four official idx .gz files in DATA/mnist"

const fashionHint = "install the Debian package dataset-fashion-mnist (apt-get install dataset-fashion-mnist), " +
	"or put the four idx .gz files in DATA/fashion-mnist"

func locateMNIST(o Options) (string, []string, string) {
	dir, tried := o.mnistDir()
	if !hasIDXFiles(dir) {
		return "", tried, mnistHint
	}
	return dir, tried, ""
}

func locateFashion(o Options) (string, []string, string) {
	dir, tried := o.fashionDir()
	if !hasIDXFiles(dir) {
		return "", tried, fashionHint
	}
	return dir, tried, ""
}

// openMNIST reads MNIST and checks the md5 of each official file. Train is
// the first 50,000 examples of the official training set, val the last
// 10,000, test the official 10,000.
func openMNIST(o Options) (*Dataset, error) {
	dir, tried := o.mnistDir()
	if !hasIDXFiles(dir) {
		return nil, fmt.Errorf("mnist: the idx files (%s) are not in any of: %s; %s",
			strings.Join(idxList(), ", "), strings.Join(tried, ", "), mnistHint)
	}
	return readIDXDataset("mnist", dir, mnistMD5(), digitLabel())
}

// openFashion reads Fashion-MNIST with the same split as MNIST. The Debian
// package recompresses the official .gz files, so there is no md5 to check;
// the idx magic numbers, dimensions, counts and gzip CRCs are still checked.
func openFashion(o Options) (*Dataset, error) {
	dir, tried := o.fashionDir()
	if !hasIDXFiles(dir) {
		return nil, fmt.Errorf("fashion-mnist: the idx files (%s) are not in any of: %s; %s",
			strings.Join(idxList(), ", "), strings.Join(tried, ", "), fashionHint)
	}
	ds, err := readIDXDataset("fashion-mnist", dir, nil, fashionLabel())
	if err != nil {
		return nil, err
	}
	ds.ClassNames = map[string][]string{"item": FashionClasses()}
	return ds, nil
}

func idxList() []string {
	n := idxNames()
	return n[:]
}
