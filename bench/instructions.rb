# frozen_string_literal: true

# Client instructions per event, counted by valgrind's callgrind: unlike the
# CPU seconds of bench/compare.rb, the count does not move with what else the
# machine is doing, so it shows what a change to the conversion path costs.
#
# Each client drains the look-alike's backlog in a child `ruby` under
# callgrind, once with a small and once with a large backlog; the difference
# divided by the difference in events is the cost of one more event, with
# Ruby's start-up and the gem's loading taken out. The look-alike runs
# outside valgrind and is not counted.
#
#   bundle exec ruby bench/instructions.rb [--events N] [--page N]
#
# Needs valgrind (Debian's package `valgrind`); takes a minute or two.

$LOAD_PATH.unshift(File.expand_path("../lib", __dir__))
require "open3"
require "optparse"
require "rbconfig"

# The child: drain with one client, print how many events it saw.
if ARGV.first == "--child"
  require_relative "clients"
  _, client, url, page_size, count = ARGV
  service = Struct.new(:url) { def keystone_url = "#{url}/identity" }.new(url)
  seen = if client == "floor"
           # one page sampled (a cost the subtraction removes), then the
           # allocation floor for the whole backlog
           source = BenchClients.floor_source(BenchClients.sample(service, Integer(page_size))[:source])
           BenchClients.floor(source, Integer(count), Integer(page_size))
         else
           BenchClients.public_send(:"#{client}_drain", service, Integer(page_size))
         end
  puts seen
  exit
end

events = 20_000
base = 2_000
page = 1000
OptionParser.new do |o|
  o.on("--events N", Integer) { |n| events = n }
  o.on("--page N", Integer) { |n| page = n }
end.parse!

abort "bench/instructions.rb needs valgrind on PATH" unless system("valgrind --version", :out => File::NULL)
require_relative "../spec/support/lookalike"
require_relative "clients"

def instructions(client, url, page, expect)
  cmd = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", RbConfig.ruby, __FILE__,
         "--child", client, url, page.to_s, expect.to_s]
  out, err, status = Open3.capture3(*cmd)
  abort "#{client}: #{err[-2000..] || err}" unless status.success?
  abort "#{client}: saw #{out.strip} events, not #{expect}" unless out.strip == expect.to_s
  Integer(err[/Collected : (\d+)/, 1])
end

# One look-alike per backlog size, drained by both clients.
counts = Hash.new { |h, k| h[k] = [] }
[base, events].each do |n|
  service = Lookalike.start
  begin
    BenchClients.generate(service, n)
    %w[floor monitor ruby].each { |client| counts[client] << instructions(client, service.url, page, n) }
  ensure
    service.stop
  end
end

per_event = counts.transform_values { |(small, large)| (large - small).fdiv(events - base) }
puts format("%-20s %12s %14s %18s", "client", "page", "events", "instructions/event")
{"floor" => "floor", "monitor" => "monitor", "ruby" => "Net::HTTP + JSON"}.each do |client, label|
  puts format("%-20s %12d %14d %18.0f", label, page, events, per_event[client])
end
ratio = per_event["monitor"] / per_event["floor"]
puts format("monitor ÷ floor, instructions/event: %.2f  (goal ≤ 1.3) (goal %s)", ratio, ratio <= 1.3 ? "met" : "not met")
