# frozen_string_literal: true

# Drains a 100,000-event backlog from the look-alike Panko and prints events
# per second, client CPU seconds per 1,000 events and peak RSS, for the
# monitor (page sizes 1000 and 100) and for a plain-Ruby Net::HTTP + JSON
# client doing the same keyset paging and building the same Hashes.
#
# Each run happens in a forked child, so its peak RSS (VmHWM) and CPU time
# are its own; the look-alike is a separate process and is not counted.
#
#   bundle exec ruby bench/drain.rb [--events N]

$LOAD_PATH.unshift(File.expand_path("../lib", __dir__))
require "optparse"
require_relative "clients"
require_relative "../spec/support/lookalike"

count = 100_000
OptionParser.new { |o| o.on("--events N", Integer) { |n| count = n } }.parse!

def peak_rss_mib
  File.read("/proc/self/status")[/^VmHWM:\s+(\d+) kB/, 1].to_i / 1024.0
end

def cpu_seconds
  Process.clock_gettime(Process::CLOCK_PROCESS_CPUTIME_ID)
end

# Runs the block in a child; returns what it measured.
def measure
  reader, writer = IO.pipe
  pid = fork do
    reader.close
    wall0 = Process.clock_gettime(Process::CLOCK_MONOTONIC)
    cpu0 = cpu_seconds
    events = yield
    result = {:events => events, :wall => Process.clock_gettime(Process::CLOCK_MONOTONIC) - wall0,
              :cpu => cpu_seconds - cpu0, :rss => peak_rss_mib}
    writer.write(JSON.generate(result))
    writer.close
    exit!(0)
  end
  writer.close
  result = JSON.parse(reader.read, :symbolize_names => true)
  Process.wait(pid)
  result
end

service = Lookalike.start
begin
  service.generate(:count => count, :start => "2026-01-01T00:00:00", :step_ms => 1, :prefix => "bench")
  runs = [
    ["monitor, page 1000", -> { BenchClients.monitor_drain(service, 1000) }],
    ["monitor, page 100", -> { BenchClients.monitor_drain(service, 100) }],
    ["Net::HTTP + JSON, page 1000", -> { BenchClients.ruby_drain(service, 1000) }],
    ["Net::HTTP + JSON, page 100", -> { BenchClients.ruby_drain(service, 100) }]
  ]
  puts format("%-30s %9s %9s %12s %16s %14s", "client", "events", "wall s", "events/s", "CPU s/1k events", "peak RSS MiB")
  failed = false
  runs.each do |label, run|
    r = measure(&run)
    failed ||= r[:events] != count
    puts format("%-30s %9d %9.2f %12.0f %16.4f %14.1f", label, r[:events], r[:wall], r[:events] / r[:wall],
                r[:cpu] / (r[:events] / 1000.0), r[:rss])
  end
  abort "not every event was drained" if failed
ensure
  service.stop
end
