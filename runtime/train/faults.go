package train

import (
	"errors"
	"fmt"
	"syscall"

	"ssdgm/runtime/runs"
)

// WriteError reports that a write into the run folder failed (a full disk,
// a folder removed or made read-only) and the run stopped there. Nothing
// half written is left: checkpoints and meta.json are replaced atomically,
// and a resumed run drops a log line cut short. The folder keeps its
// newest complete checkpoint, from which `ssdgm train --resume` continues
// to the numbers of an uninterrupted run.
type WriteError struct {
	Step  int64  // training steps done when the write failed
	What  string // what was being written
	Dir   string // the run folder
	Saved int64  // step of the newest checkpoint the folder keeps; -1: none
	Err   error
}

func (e *WriteError) Error() string {
	s := fmt.Sprintf("training stopped at step %d: writing %s failed: %v", e.Step, e.What, e.Err)
	if errors.Is(e.Err, syscall.ENOSPC) {
		s += " (the disk is full)"
	}
	if e.Saved < 0 {
		return s + "; no checkpoint was written yet: free space (or fix the folder) and start the run again"
	}
	return s + fmt.Sprintf("; %s keeps its checkpoint of step %d: free space (or fix the folder), then `ssdgm train --resume %s` continues from it", e.Dir, e.Saved, e.Dir)
}

func (e *WriteError) Unwrap() error { return e.Err }

// writeFailed stops the run after a failed write of what: it records the
// failure in train.log and meta.json where it still can and returns the
// *WriteError.
func (t *trainer) writeFailed(what string, err error) error {
	we := &WriteError{Step: t.step, What: what, Dir: t.run.Dir(), Saved: t.saved, Err: err}
	_ = t.run.Logf("%v", we)                        // best effort: the disk may be full
	_ = t.run.Finish(runs.StatusFailed, we.Error()) // the previous meta.json stays if this fails
	return we
}
