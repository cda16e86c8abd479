# frozen_string_literal: true

require "spec_helper"

RSpec.describe "Logging" do
  with_lookalike

  let(:io) { StringIO.new }
  let(:logger) { Logger.new(io) }

  after { $log = nil }

  it "logs each poll at info through options[:logger], with no secret" do
    service.add_events([panko_event("l1", "2026-01-01T00:00:00.000000")])
    mon = OpenstackHTTPEventMonitor.new(:logger => logger, :http => keystone_options)
    drain(mon)
    text = io.string
    expect(text).to match(/INFO -- : MIQ\(OpenstackHTTPEventMonitor\) GET #{Regexp.escape(service.url)}\/v2\/events: all events, all tenants, limit 100/)
    expect(text).to include("authenticating as \"admin\"")
    expect(text).not_to include("secret")
    expect(mon.stats.values.join(" ")).not_to include("secret")
  end

  it "stamps each record with the time the core wrote it, which a formatter can print (the CLI's does)" do
    # the request logged first hangs a second: the record reaches Ruby's logger only after it
    service.faults({"path" => "events", "count" => 1, "delay_ms" => 1000})
    service.add_events([panko_event("s1", "2026-01-01T00:00:00.000000")])
    seen = []
    logger.formatter = proc do |_severity, time, _prog, msg|
      seen << [msg.to_s, msg.respond_to?(:at) ? msg.at : nil, time]
      "#{msg}\n"
    end
    drain(OpenstackHTTPEventMonitor.new(:logger => logger, :http => keystone_options))
    get = seen.find { |text, _, _| text.include?("GET #{service.url}/v2/events") }
    expect(get[0]).to be_a(String)
    expect(get[1]).to be_a(Time)
    expect(get[2] - get[1]).to be > 0.5 # written before the hanging request, logged after it
    expect(seen.map(&:first)).to all(start_with("MIQ(OpenstackHTTPEventMonitor) "))
  end

  it "prefers ManageIQ's $log" do
    $log = logger
    mon = OpenstackHTTPEventMonitor.new(:http => keystone_options)
    drain(mon)
    expect(io.string).to include("MIQ(OpenstackHTTPEventMonitor) GET")
  end

  it "logs failures at warn and why available? is false" do
    service.faults({"path" => "events", "count" => 1, "status" => 500})
    mon = OpenstackHTTPEventMonitor.new(:logger => logger, :http => keystone_options)
    drain(mon)
    expect(io.string).to match(/WARN -- : .*HTTP 500.*retrying in/)
    expect(OpenstackHTTPEventMonitor.available?(:logger => logger, :http => {:url => "http://127.0.0.1:9"})).to be(false)
    expect(io.string).to match(/WARN -- : .*event service not available: cannot connect/)
  end
end
