# frozen_string_literal: true

# The demo behind bin/demo: starts the look-alike with a live event stream
# and a backlog from the past hour, then tails it with the CLI (Keystone
# auth, catalog discovery, ManageIQ's default event-type filter).

$LOAD_PATH.unshift(File.expand_path("../lib", __dir__))
require "optparse"
require "time"
require "openstack_http_event_monitor/cli"
require_relative "../spec/support/lookalike"

seconds = nil
OptionParser.new do |o|
  o.banner = "Usage: bin/demo [--seconds N]"
  o.on("--seconds N", Integer, "stop by itself after N seconds") { |n| seconds = n }
end.parse!

MIQ_DEFAULT = '\A(?!firewall|floatingip|gateway|net|port|router|subnet|security_group|vpn|volume|snapshot|backup)'

service = Lookalike.start(:stream => 5, :lifetime => 0)
begin
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

  if seconds
    Thread.new do
      sleep seconds
      Process.kill("INT", Process.pid)
    end
  end

  status = OpenstackHTTPEventMonitor::CLI.new(
    ["tail", "--auth-url", service.keystone_url, "--username", "admin", "--project", "admin",
     "--poll-interval", "2", "--type-regex", MIQ_DEFAULT],
    {"OS_PASSWORD" => "secret"}
  ).run
  exit status
ensure
  service.stop
end
