# frozen_string_literal: true

# The demo behind bin/demo. By default (pull): starts the look-alike with a
# live event stream and a backlog from the past hour, then tails it with the
# CLI (Keystone auth, catalog discovery, ManageIQ's default event-type
# filter). With --push: the monitor receives instead (the CLI's `listen`),
# and the look-alike posts its live stream to it the way Ceilometer's http
# publisher does.
#
# Made to be watched: one line per event (the CLI's `-f table`: time, type,
# project, resource; coloured on a terminal) and a status line every few
# seconds on stderr (the CLI's `--progress`). --json prints the raw JSON
# lines instead, without status lines.

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
json = false
begin
  OptionParser.new do |o|
    o.banner = "Usage: bin/demo [--push] [--json] [--seconds N]"
    o.on("--push", "the look-alike POSTs its live stream as Ceilometer's http publisher does, " \
                   "and the monitor receives it (openstack-http-events listen)") { push = true }
    o.on("--json", "print the raw JSON lines (no table, no status lines)") { json = true }
    o.on("--seconds N", Integer, "stop by itself after N seconds") { |n| seconds = n }
  end.parse!
rescue OptionParser::ParseError => e
  warn("bin/demo: #{e.message}")
  exit 2
end

MIQ_DEFAULT = '\A(?!firewall|floatingip|gateway|net|port|router|subnet|security_group|vpn|volume|snapshot|backup)'

# Seconds between the status lines.
STATUS_EVERY = 3

# The CLI's output flags: a table and status lines, or (--json) today's JSON lines.
# @param json [Boolean]
# @return [Array<String>]
def output_flags(json)
  json ? [] : ["-f", "table", "--progress", STATUS_EVERY.to_s]
end

# `words` as one shell command line a user can paste: each word single-quoted
# when it holds anything a shell would read.
# @param words [Array<String>]
# @return [String]
def shell_line(words)
  words.map { |w| w.match?(%r{\A[\w@%+=:,./-]+\z}) ? w : "'#{w.gsub("'", %q('\\''))}'" }.join(" ")
end

# What the status lines say, for the banner.
# @param json [Boolean]
# @return [String]
def watching(json)
  return "Events are printed as JSON lines below." if json

  "Events are printed one a line below (time, type, project, resource); every #{STATUS_EVERY} s a status line " \
    "on stderr\ngives events/s, polls, retries, events filtered out and back-read duplicates dropped. " \
    "--json: raw JSON lines."
end

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

def pull_demo(seconds, json)
  service = Lookalike.start(:stream => 5, :lifetime => 0)
  hour_ago = (Time.now.utc - 3600).strftime("%Y-%m-%dT%H:%M:%S.%6N")
  {"compute.instance.create.end" => 120, "volume.create.end" => 60, "port.create.end" => 60,
   "identity.authenticate" => 60}.each_with_index do |(type, count), i|
    service.generate(:count => count, :event_type => type, :start => hour_ago, :step_ms => 9_000 + (i * 1_000),
                     :prefix => type.tr(".", "-"))
  end

  args = ["tail", "--auth-url", service.keystone_url, "--username", "admin", "--project", "admin",
          "--poll-interval", "2", "--type-regex", MIQ_DEFAULT] + output_flags(json)
  warn <<~BANNER
    == openstack_http_event_monitor demo ==
    Panko/Keystone look-alike: #{service.url} (Keystone at #{service.keystone_url})
    It holds a backlog of 300 events from the past hour and streams 5 new ones a second.
    Tailing with (paste it into another terminal while the demo runs):
      OS_PASSWORD=secret bundle exec #{shell_line(["openstack-http-events"] + args)}
    (--type-regex: ManageIQ's default, network and storage events filtered out)
    #{watching(json)} #{seconds ? "Stops after #{seconds} s." : "Press Ctrl-C to stop."}

  BANNER

  stop_after(seconds)
  OpenstackHTTPEventMonitor::CLI.new(args, {"OS_PASSWORD" => "secret"}).run
ensure
  service&.stop
end

def push_demo(seconds, json)
  password = SecureRandom.hex(12)
  port = TCPServer.open("127.0.0.1", 0) { |server| server.addr[1] }
  query = "batch=False&timeout=5"
  Dir.mktmpdir("ohem-demo-spool") do |spool|
    listen_args = ["listen", "--bind", "127.0.0.1", "--port", port.to_s, "--push-user", "ceilometer", "--spool", spool] +
                  output_flags(json)
    warn <<~BANNER
      == openstack_http_event_monitor demo: push ==
      The monitor receives: #{shell_line(["openstack-http-events"] + listen_args)}
                            (password in OHEM_PUSH_PASSWORD, a random one for this run)
      The Panko look-alike plays Ceilometer's notification agent: it makes 5 realistic events a second and POSTs
      each one to http://127.0.0.1:#{port}/events as Ceilometer's http publisher does (HTTP Basic from the URL's
      userinfo, one JSON object per POST with batch=False; batch=True would send JSON arrays).
      On a real cloud, each controller's event_pipeline.yaml would carry this publisher line:

          sinks:
            - name: event_sink
              publishers:
                - http://ceilometer:PASSWORD@<this host>:#{port}/events?#{query}

      #{watching(json).sub("Events are", "Received events are")} #{seconds ? "Stops after #{seconds} s." : "Press Ctrl-C to stop."}

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
        listen_args,
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

exit(push ? push_demo(seconds, json) : pull_demo(seconds, json))
