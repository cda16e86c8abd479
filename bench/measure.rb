# frozen_string_literal: true

# How the benchmarks measure a run: each run happens in a forked child, so
# its peak RSS (VmHWM) and CPU time (every thread of the child, the Rust
# runtime's among them) are its own; a look-alike is a separate process and
# is not counted.
module BenchMeasure
  module_function

  # @return [Float] this process's peak resident set, MiB
  def peak_rss_mib
    File.read("/proc/self/status")[/^VmHWM:\s+(\d+) kB/, 1].to_i / 1024.0
  end

  # @return [Float] CPU seconds used by every thread of this process
  def cpu_seconds
    Process.clock_gettime(Process::CLOCK_PROCESS_CPUTIME_ID)
  end

  # @return [Float] CPU seconds used by the calling thread alone (the Ruby
  #   thread that drains; not the Rust runtime's threads)
  def thread_cpu_seconds
    Process.clock_gettime(Process::CLOCK_THREAD_CPUTIME_ID)
  end

  # @return [Float] monotonic seconds
  def now
    Process.clock_gettime(Process::CLOCK_MONOTONIC)
  end

  # Runs the block in a forked child and returns what it returned (through
  # Marshal). An exception in the child is raised here as a RuntimeError
  # naming it; the child never runs the parent's `ensure` or `at_exit`.
  def in_child
    reader, writer = IO.pipe
    pid = fork do
      reader.close
      result = begin
        [:ok, yield]
      rescue Exception => e # any, so the child always answers
        [:error, "#{e.class}: #{e.message}\n#{e.backtrace&.first(5)&.join("\n")}"]
      end
      writer.write(Marshal.dump(result))
      writer.close
      exit!(0)
    end
    writer.close
    data = reader.read
    reader.close
    Process.wait(pid)
    raise "benchmark child died (#{$?.inspect}) without an answer" if data.empty?

    status, value = Marshal.load(data) # our own child's answer
    raise "in the benchmark child: #{value}" if status == :error

    value
  end

  # Runs the block (which returns how many events it handled) in a child.
  # @return [Hash] :events, :wall (s), :cpu (s), :thread_cpu (s, the calling
  #   thread only), :rss (peak MiB)
  def measure
    in_child do
      wall0 = now
      cpu0 = cpu_seconds
      thread0 = thread_cpu_seconds
      events = yield
      {:events => events, :wall => now - wall0, :cpu => cpu_seconds - cpu0, :thread_cpu => thread_cpu_seconds - thread0,
       :rss => peak_rss_mib}
    end
  end
end
