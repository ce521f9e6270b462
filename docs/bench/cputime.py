# Runs a peer script with time.perf_counter replaced by the process CPU
# time, so that its ms/step is CPU time, comparable with ssdgm bench's.
import runpy, sys, time
time.perf_counter = time.process_time
path = sys.argv[1]
sys.argv = sys.argv[1:]
runpy.run_path(path, run_name="__main__")
