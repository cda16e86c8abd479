# frozen_string_literal: true

# How fast the push receiver takes events: senders POST the way Ceilometer's
# http publisher does (keep-alive connections, batches of 100 and single
# events), the monitor receives them in the same process and a thread drains
# them through each_batch. Prints events per second accepted and the p50/p99
# time to the 2xx — durable: each 2xx came after an fsync of the spool — and
# the same senders against a baseline measured in the same run: a plain-Ruby
# HTTP server that answers 200 at once and keeps nothing, which shows what
# the senders and loopback HTTP alone cost on this machine. Then the same
# with the PostgreSQL spool on a throwaway local server (fsync on), and how
# fast each_batch drains each.
#
#   bundle exec ruby bench/push.rb [--batches N] [--singles N] [--senders N] [--no-postgres]

$LOAD_PATH.unshift(File.expand_path("../lib", __dir__))
require "json"
require "net/http"
require "optparse"
require "socket"
require "tmpdir"
require "openstack_http_event_monitor"

batches = 400
singles = 4000
senders = 8
postgres = true
OptionParser.new do |o|
  o.on("--batches N", Integer, "POSTs of 100 events (default 400)") { |n| batches = n }
  o.on("--singles N", Integer, "POSTs of one event (default 4000)") { |n| singles = n }
  o.on("--senders N", Integer, "concurrent senders (default 8)") { |n| senders = n }
  o.on("--[no-]postgres", "also the PostgreSQL spool, on a throwaway local server (default: yes)") { |v| postgres = v }
end.parse!

def event(id)
  {"message_id" => id, "event_type" => "compute.instance.update", "generated" => "2026-11-26T09:00:00.000001",
   "traits" => [["tenant_id", 1, "0b1c0e5e6f2f4f0f9b6a"], ["instance_id", 1, "9d3c2a4e-1b7f-4c55-9b0e-5f1d2e3c4b5a"],
                ["state", 1, "active"], ["memory_mb", 2, 2048], ["vcpus", 2, 2], ["host", 1, "compute-0"]],
   "raw" => {}}
end

# POSTs `bodies` from `senders` threads over keep-alive connections; returns
# [seconds, latencies of each POST].
def send_all(port, bodies, senders)
  queue = Queue.new
  bodies.each { |b| queue << b }
  senders.times { queue << nil }
  started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
  latencies = Array.new(senders) do
    Thread.new do
      mine = []
      Net::HTTP.start("127.0.0.1", port) do |http|
        while (body = queue.pop)
          request = Net::HTTP::Post.new("/events?batch=True", "Content-Type" => "application/json")
          request.body = body
          t0 = Process.clock_gettime(Process::CLOCK_MONOTONIC)
          response = http.request(request)
          raise "HTTP #{response.code}: #{response.body}" unless response.code == "200"

          mine << Process.clock_gettime(Process::CLOCK_MONOTONIC) - t0
        end
      end
      mine
    end
  end.flat_map(&:value)
  [Process.clock_gettime(Process::CLOCK_MONOTONIC) - started, latencies]
end

def percentile(sorted, p)
  sorted[[(sorted.size * p).ceil - 1, 0].max]
end

# A server that answers every POST 200 at once and keeps nothing.
def baseline_server
  server = TCPServer.new("127.0.0.1", 0)
  Thread.new do
    loop do
      client = begin
        server.accept
      rescue IOError, SystemCallError
        break # closed: the baseline is done
      end
      Thread.new(client) do |c|
        while (line = c.gets)
          length = 0
          while (header = c.gets) && header != "\r\n"
            length = header.split(":", 2)[1].to_i if header.downcase.start_with?("content-length:")
          end
          c.read(length)
          c.write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
        end
      rescue IOError, SystemCallError
        nil
      ensure
        c.close
      end
    end
  end
  server
end

def report(label, events, seconds, latencies, baseline = nil)
  sorted = latencies.sort
  rate = events / seconds
  line = format("%-34s %8.0f events/s  %6.0f POSTs/s  p50 %6.2f ms  p99 %6.2f ms", label, rate, latencies.size / seconds,
                percentile(sorted, 0.5) * 1000, percentile(sorted, 0.99) * 1000)
  line += format("  (%.2f× the baseline's rate)", rate / baseline) if baseline
  puts line
  rate
end

batch_bodies = (1..batches).map { |b| JSON.generate((1..100).map { |i| event("b#{b}-#{i}") }) }
single_bodies = (1..singles).map { |s| JSON.generate([event("s#{s}")]) }

base = baseline_server
base_port = base.addr[1]
send_all(base_port, batch_bodies.first(20), senders) # warm up
base_batch = report("baseline, batches of 100", batches * 100, *send_all(base_port, batch_bodies, senders))
base_single = report("baseline, single events", singles, *send_all(base_port, single_bodies, senders))
base.close

# One receiver with `spool` (its :source keys), senders against it, a thread
# draining through each_batch; prints the rates against the baseline's and
# how fast the drain kept up.
def run_receiver(label, spool, batch_bodies, single_bodies, senders, base_batch, base_single, batches, singles)
  port = TCPServer.open("127.0.0.1", 0) { |s| s.addr[1] }
  monitor = OpenstackHTTPEventMonitor.new(:http => {:source => {:type => :push, :listen => "127.0.0.1:#{port}"}.merge(spool)})
  monitor.start
  expected = (batches * 100) + singles + 2000
  received = 0
  drained_at = nil
  consumer = Thread.new do
    monitor.each_batch do |events|
      received += events.size
      if received >= expected
        drained_at = Process.clock_gettime(Process::CLOCK_MONOTONIC)
        monitor.stop
      end
    end
  end
  send_all(port, batch_bodies.first(20).map { |b| b.gsub("\"b", "\"warm-b") }, senders) # warm up: 2,000 events
  started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
  report("#{label}, batches of 100", batches * 100, *send_all(port, batch_bodies, senders), base_batch)
  report("#{label}, single events", singles, *send_all(port, single_bodies, senders), base_single)
  sent_at = Process.clock_gettime(Process::CLOCK_MONOTONIC)
  consumer.join(120) || abort("#{label}: the consumer did not get every event (#{received} of #{expected})")
  lag = drained_at ? [drained_at - sent_at, 0].max : Float::NAN
  puts format("%-34s %d events (%s), the last %.2f s after the last 2xx; %.0f events/s from the first POST",
              "#{label}, drained", received, received == expected ? "all" : "MISSING SOME", lag,
              (expected - 2000) / (drained_at - started))
end

Dir.mktmpdir("push-bench") do |spool|
  run_receiver("file spool", {:spool_dir => spool}, batch_bodies, single_bodies, senders, base_batch, base_single,
               batches, singles)
end

if postgres
  if Dir["/usr/lib/postgresql/*/bin/initdb"].empty?
    puts "PostgreSQL spool: skipped (no PostgreSQL server; bin/setup installs Debian's postgresql)"
  else
    require_relative "../spec/support/postgres"
    pg = ThrowawayPostgres.new(:fsync => true)
    begin
      run_receiver("PostgreSQL spool", {:spool => {:type => :postgresql, :url => pg.url, :stream => "bench"}},
                   batch_bodies, single_bodies, senders, base_batch, base_single, batches, singles)
    ensure
      pg.stop
    end
  end
end
puts "(#{senders} senders, keep-alive; every receiver 2xx after an fsync of the spool or the database's commit " \
     "(fsync on); shared 2-core machine: ±30 %)"
