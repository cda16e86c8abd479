# frozen_string_literal: true

# One table, every figure from one run: the monitor against its floor and
# against a plain-Ruby client (issue 10, "Performance").
#
# - floor: plain Ruby allocating exactly the objects one converted event
#   consists of (the OpenstackEvent, its payload Hash with fresh value
#   Strings, the traits Hash, the metadata Hash) and nothing else, from
#   source values made before the measured section — values the monitor
#   itself delivered from the look-alike, so the shape is the same (checked:
#   keys, trait count, value classes, String lengths, encodings and memory);
# - monitor: OpenstackHTTPEventMonitor draining the look-alike's backlog
#   (Panko v2, Keystone auth, keyset paging);
# - Net::HTTP + JSON: a plain-Ruby client doing the same paging and building
#   the same Hashes and OpenstackEvent objects;
# - monitor, generic JSON: the same backlog through the generic JSON source
#   (`/json/events`, next links).
#
# Each run happens in a forked child (bench/measure.rb): CPU time counts
# every thread of the child ("Ruby thread": the draining thread alone, so the
# monitor's row splits into conversion there and parsing on the Rust
# runtime's thread), peak RSS is its VmHWM; the look-alike is a separate
# process and is not counted. Every run must handle exactly the
# backlog's events, or this aborts.
#
#   bundle exec ruby bench/compare.rb [--events N] [--smoke]
#
# --events N: the backlog (default 500,000: about two minutes on a shared
# 2-core machine; `--events 1000000` is the issue's RSS figure, about four);
# --smoke: 2,000 events, to show that it runs (the suite's
# spec/bench_smoke_spec.rb).

$LOAD_PATH.unshift(File.expand_path("../lib", __dir__))
require "optparse"
require_relative "clients"
require_relative "measure"
require_relative "../spec/support/lookalike"

GOAL_FLOOR = 1.5  # monitor ÷ floor, CPU µs/event, at most
GOAL_CLIENT = 3.0 # Net::HTTP + JSON ÷ monitor, CPU µs/event, at least
PAGES = [100, 1000].freeze

count = 500_000
OptionParser.new do |o|
  o.banner = "usage: ruby bench/compare.rb [--events N] [--smoke]"
  o.on("--events N", Integer, "events in the backlog (default #{count})") { |n| count = n }
  o.on("--smoke", "a 2,000-event backlog: shows that it runs, measures nothing") { count = 2_000 }
end.parse!
abort "--events must be at least 1" if count < 1

def row(label, r)
  puts format("%-34s %9d %8.2f %11.0f %13.2f %13.2f %13.1f", label, r[:events], r[:wall], r[:events] / r[:wall],
              r[:cpu] * 1e6 / r[:events], r[:thread_cpu] * 1e6 / r[:events], r[:rss])
  $stdout.flush
end

def ratio(label, value, goal, met)
  puts format("%-60s %6.2f  (goal %s %.1f) (%s)", label, value, goal == GOAL_FLOOR ? "≤" : "≥", goal,
              met ? "goal met" : "goal not met")
end

service = Lookalike.start
begin
  BenchClients.generate(service, count)

  # The floor's source values: the monitor's own first page. This process
  # keeps them as one marshalled String, and each floor run loads them: a
  # child forked from a parent holding thousands of objects inherits them,
  # and Ruby's heap, sized to its live objects, grows with them — which
  # added ~10 MiB to every run's peak RSS before.
  sample = BenchMeasure.in_child { Marshal.dump(BenchClients.sample(service, [count, 1000].min)) }
  floor_source = -> { BenchClients.floor_source(Marshal.load(sample)[:source]) } # our own child's answer
  shapes = BenchMeasure.in_child do
    [BenchClients.shape(BenchClients.floor_event(*floor_source.call.first)), Marshal.load(sample)[:shape]]
  end
  unless shapes[0] == shapes[1]
    abort "the floor's event is not shaped as the monitor's:\n  floor:   #{shapes[0].inspect}\n  " \
          "monitor: #{shapes[1].inspect}"
  end

  runs = PAGES.map { |p| ["floor, page #{p}", :floor, p, -> { BenchClients.floor(floor_source.call, count, p) }] } +
         PAGES.map { |p| ["monitor, page #{p}", :monitor, p, -> { BenchClients.monitor_drain(service, p) }] } +
         PAGES.map { |p| ["Net::HTTP + JSON, page #{p}", :client, p, -> { BenchClients.ruby_drain(service, p) }] } +
         [["monitor, generic JSON, page 1000", :json, 1000, -> { BenchClients.json_drain(service, 1000) }]]

  puts format("%-34s %9s %8s %11s %13s %13s %13s", "client", "events", "wall s", "events/s", "CPU µs/event",
              "Ruby thread", "peak RSS MiB")
  cpu = {}
  wrong = []
  runs.each do |label, kind, page, run|
    r = BenchMeasure.measure(&run)
    row(label, r)
    wrong << "#{label}: #{r[:events]}" unless r[:events] == count
    cpu[[kind, page]] = r[:cpu] * 1e6 / r[:events] if r[:events].positive?
  end
  abort "not #{count} events: #{wrong.join(", ")}" unless wrong.empty?

  puts
  PAGES.each do |p|
    v = cpu[[:monitor, p]] / cpu[[:floor, p]]
    ratio("monitor ÷ floor, CPU µs/event, page #{p}", v, GOAL_FLOOR, v <= GOAL_FLOOR)
  end
  PAGES.each do |p|
    v = cpu[[:client, p]] / cpu[[:monitor, p]]
    ratio("client (Net::HTTP + JSON) ÷ monitor, CPU µs/event, page #{p}", v, GOAL_CLIENT, v >= GOAL_CLIENT)
  end
  # What the second goal asks of the first: a monitor that cost exactly the
  # floor would be this much cheaper than the client, no more.
  PAGES.each do |p|
    puts format("%-60s %6.2f  (client ÷ monitor for a monitor costing the floor)",
                "client (Net::HTTP + JSON) ÷ floor, CPU µs/event, page #{p}", cpu[[:client, p]] / cpu[[:floor, p]])
  end
ensure
  service.stop
end
