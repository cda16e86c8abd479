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
require "json"
require "net/http"
require "optparse"
require "openstack_http_event_monitor"
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

def monitor_drain(service, page_size)
  monitor = OpenstackHTTPEventMonitor.new(:http => {
    :auth => {:type => :keystone, :url => service.keystone_url, :username => "admin", :password => "secret"},
    :page_size => page_size, :poll_interval => 0
  })
  seen = 0
  monitor.start
  monitor.each_batch do |events|
    seen += events.size
    monitor.stop if monitor.caught_up?
  end
  seen
end

# What a Ruby client does without the gem: the same paging, the same Hashes.
def ruby_drain(service, page_size)
  uri = URI(service.url)
  http = Net::HTTP.start(uri.host, uri.port)
  auth = Net::HTTP::Post.new("/identity/v3/auth/tokens", "Content-Type" => "application/json")
  auth.body = JSON.generate(:auth => {:identity => {:methods => ["password"], :password => {:user => {
    :name => "admin", :domain => {:id => "default"}, :password => "secret"
  }}}, :scope => {:project => {:name => "admin", :domain => {:id => "default"}}}})
  token = http.request(auth)["X-Subject-Token"]
  seen = 0
  marker = nil
  loop do
    path = "/v2/events?q.field=all_tenants&q.op=eq&q.value=True&limit=#{page_size}"
    path += "&marker=#{URI.encode_www_form_component(marker)}" if marker
    rows = JSON.parse(http.get(path, "X-Auth-Token" => token).body)
    events = rows.map do |row|
      traits = {}
      row["traits"].each { |t| traits[t["name"]] = t["value"] }
      payload = {"message_id" => row["message_id"], "event_type" => row["event_type"],
                 "timestamp" => row["generated"], "payload" => traits}
      OpenstackEvent.new(payload, {:user_id => nil, :priority => nil, :content_type => nil})
    end
    seen += events.size
    break if rows.size < page_size

    marker = rows.last["message_id"]
  end
  seen
end

service = Lookalike.start
begin
  service.generate(:count => count, :start => "2026-01-01T00:00:00", :step_ms => 1, :prefix => "bench")
  runs = [
    ["monitor, page 1000", -> { monitor_drain(service, 1000) }],
    ["monitor, page 100", -> { monitor_drain(service, 100) }],
    ["Net::HTTP + JSON, page 1000", -> { ruby_drain(service, 1000) }],
    ["Net::HTTP + JSON, page 100", -> { ruby_drain(service, 100) }]
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
