package check

// laplaceFamily: Laplace(loc, scale), reparameterised as loc + scale·ε.
func laplaceFamily() Family {
	return Family{Name: "Laplace", Params: LocScale, Value: Continuous}
}
