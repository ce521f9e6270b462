package check

// normalFamily: Normal(loc, scale), reparameterised as loc + scale·ε.
func normalFamily() Family {
	return Family{Name: "Normal", Params: LocScale, Value: Continuous}
}
