# frozen_string_literal: true

# The demo behind bin/demo. By default (pull): starts the look-alike with a
# live event stream and a backlog from the past hour, then tails it with the
# CLI (Keystone auth, catalog discovery, ManageIQ's default event-type
# filter). With --push: the monitor receives instead (the CLI's `listen`),
# and the look-alike posts its live stream to it the way Ceilometer's http
# publisher does.

$LOAD_PATH.unshift(File.expand_path("../lib", __dir__))
require "optparse"
require "securerandom"
require "socket"
require "time"
require "tmpdir"
require "openstack_http_event_monitor/cli"
require_relative "../spec/support/lookalike"

seconds = nil
push = false
begin
  OptionParser.new do |o|
    o.banner = "Usage: bin/demo [--push] [--seconds N]"
    o.on("--push", "the look-alike POSTs its live stream as Ceilometer's http publisher does, " \
                   "and the monitor receives it (openstack-http-events listen)") { push = true }
    o.on("--seconds N", Integer, "stop by itself after N seconds") { |n| seconds = n }
  end.parse!
rescue OptionParser::ParseError => e
  warn("bin/demo: #{e.message}")
  exit 2
end

MIQ_DEFAULT = '\A(?!firewall|floatingip|gateway|net|port|router|subnet|security_group|vpn|volume|snapshot|backup)'

# Interrupts this process after `seconds`, as Ctrl-C would, once the
# block (if any) has run.
def stop_after(seconds)
  return unless seconds

  Thread.new do
    sleep seconds
    begin
      yield if block_given?
    rescue StandardError => e
      warn("demo: stopping the look-alike failed (#{e.class}: #{e.message}); stopping anyway")
    ensure
      # always: a failed look-alike request must not leave the demo running
      Process.kill("INT", Process.pid)
    end
  end
end

# Returns once something accepts connections on `port` (false after `limit` seconds).
def wait_for_port(port, limit: 15)
  deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + limit
  loop do
    TCPSocket.new("127.0.0.1", port).close
    return true
  rescue SystemCallError
    return false if Process.clock_gettime(Process::CLOCK_MONOTONIC) > deadline

    sleep 0.05
  end
end

def pull_demo(seconds)
  service = Lookalike.start(:stream => 5, :lifetime => 0)
  hour_ago = (Time.now.utc - 3600).strftime("%Y-%m-%dT%H:%M:%S.%6N")
  {"compute.instance.create.end" => 120, "volume.create.end" => 60, "port.create.end" => 60,
   "identity.authenticate" => 60}.each_with_index do |(type, count), i|
    service.generate(:count => count, :event_type => type, :start => hour_ago, :step_ms => 9_000 + (i * 1_000),
                     :prefix => type.tr(".", "-"))
  end

  warn <<~BANNER
    == openstack_http_event_monitor demo ==
    Panko/Keystone look-alike: #{service.url} (Keystone at #{service.keystone_url})
    It holds a backlog of 300 events from the past hour and streams 5 new ones a second.
    Tailing with: openstack-http-events tail --auth-url #{service.keystone_url} --username admin
                  --type-regex '#{MIQ_DEFAULT}'  (ManageIQ's default: network and storage events filtered out)
    Events are printed as JSON lines below. #{seconds ? "Stops after #{seconds} s." : "Press Ctrl-C to stop."}

  BANNER

  stop_after(seconds)
  OpenstackHTTPEventMonitor::CLI.new(
    ["tail", "--auth-url", service.keystone_url, "--username", "admin", "--project", "admin",
     "--poll-interval", "2", "--type-regex", MIQ_DEFAULT],
    {"OS_PASSWORD" => "secret"}
  ).run
ensure
  service&.stop
end

def push_demo(seconds)
  password = SecureRandom.hex(12)
  port = TCPServer.open("127.0.0.1", 0) { |server| server.addr[1] }
  query = "batch=False&timeout=5"
  Dir.mktmpdir("ohem-demo-spool") do |spool|
    warn <<~BANNER
      == openstack_http_event_monitor demo: push ==
      The monitor receives: openstack-http-events listen --bind 127.0.0.1 --port #{port} --push-user ceilometer
                            --spool #{spool}  (password in OHEM_PUSH_PASSWORD, a random one for this run)
      The Panko look-alike plays Ceilometer's notification agent: it makes 5 realistic events a second and POSTs
      each one to http://127.0.0.1:#{port}/events as Ceilometer's http publisher does (HTTP Basic from the URL's
      userinfo, one JSON object per POST with batch=False; batch=True would send JSON arrays).
      On a real cloud, each controller's event_pipeline.yaml would carry this publisher line:

          sinks:
            - name: event_sink
              publishers:
                - http://ceilometer:PASSWORD@<this host>:#{port}/events?#{query}

      Received events are printed as JSON lines below. #{seconds ? "Stops after #{seconds} s." : "Press Ctrl-C to stop."}

    BANNER

    service = nil
    # the publisher posts as soon as it starts: start it once the receiver listens
    starter = Thread.new do
      next unless wait_for_port(port)

      service = Lookalike.start(:stream => 5, :lifetime => 0,
                                :push_to => "http://ceilometer:#{password}@127.0.0.1:#{port}/events?#{query}")
    end
    counts = nil
    # the sender stops first, so no POST is cut short by the receiver stopping
    stop_after(seconds) do
      counts = service&.pushed
      service&.stop
    end
    begin
      status = OpenstackHTTPEventMonitor::CLI.new(
        ["listen", "--bind", "127.0.0.1", "--port", port.to_s, "--push-user", "ceilometer", "--spool", spool],
        {"OHEM_PUSH_PASSWORD" => password}
      ).run
      starter.join(5)
      begin
        counts ||= service&.pushed
      rescue StandardError
        nil # Ctrl-C reached the look-alike too: it has gone
      end
      warn("look-alike publisher: #{%w[posts accepted dropped failed].map { |k| "#{k}=#{counts[k]}" }.join(" ")}") if counts
      status
    ensure
      starter.kill
      service&.stop
    end
  end
end

exit(push ? push_demo(seconds) : pull_demo(seconds))
