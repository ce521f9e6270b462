package main

import "ssdgm/runtime/data/datacli"

// dataUsage is the help text of `ssdgm data`, owned by package datacli.
const dataUsage = datacli.Usage

// runData lists, shows and counts datasets (package datacli does the work).
func runData(e *env, args []string) int {
	return datacli.DataCommand(args, e.stdout, e.stderr)
}
