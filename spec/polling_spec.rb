# frozen_string_literal: true

require "spec_helper"

RSpec.describe "Polling Panko" do
  with_lookalike

  def query_value(request, field)
    params = request["params"]
    fields = params.select { |k, _| k == "q.field" }.map(&:last)
    values = params.select { |k, _| k == "q.value" }.map(&:last)
    index = fields.index(field)
    index && values[index]
  end

  def param(request, name)
    request["params"].find { |k, _| k == name }&.last
  end

  it "delivers every event exactly once across page boundaries" do
    service.generate(:count => 1_050, :start => "2026-01-01T00:00:00.000000", :step_ms => 7, :prefix => "pb")
    events = drain(monitor(:page_size => 100))
    expect(ids(events)).to eq(ids(events).uniq)
    expect(ids(events).sort).to eq((1..1_050).map { |i| format("pb-%07d", i) }.sort)
    pages = event_requests
    expect(pages.first["params"]).to include(["limit", "100"])
    expect(pages[1..10].map { |r| param(r, "marker") }).to all(be_a(String))
  end

  it "drains 5,000 events that share one timestamp with a page of 100, without stalling" do
    service.generate(:count => 5_000, :generated => "2026-02-02T02:02:02.000000", :prefix => "same")
    mon = monitor(:page_size => 100)
    events = drain(mon)
    expect(events.size).to eq(5_000)
    expect(ids(events).uniq.size).to eq(5_000)
    expect(mon.stats[:cursor]).to eq("2026-02-02T02:02:02.000000")

    # the next poll re-reads the window and yields nothing again
    service.generate(:count => 3, :generated => "2026-02-02T02:02:03.000000", :prefix => "next")
    more = drain(mon)
    expect(ids(more)).to eq(%w[next-0000001 next-0000002 next-0000003])
    expect(mon.stats[:duplicates_dropped]).to be >= 5_000
  end

  it "catches late events that arrive inside the backread window, once" do
    service.add_events([panko_event("e1", "2026-03-03T10:00:00.000000"),
                        panko_event("e2", "2026-03-03T10:00:04.000000")])
    mon = monitor(:backread_seconds => 5)
    expect(ids(drain(mon))).to eq(%w[e1 e2])

    # e-late was generated before e2 but reached Panko after the poll
    service.add_events([panko_event("e-late", "2026-03-03T10:00:01.000000"),
                        panko_event("e3", "2026-03-03T10:00:05.000000")])
    expect(ids(drain(mon))).to eq(%w[e-late e3])
    # the second poll re-read from the newest event seen (10:00:04) minus 5 s
    expect(query_value(event_requests.last, "start_timestamp")).to eq("2026-03-03T09:59:59.000000")
  end

  it "asks for all tenants from the very first request, so other projects' events are not lost" do
    service.add_events([panko_event("mine", "2026-04-04T00:00:00.000000", :project => service.project_id("admin")),
                        panko_event("theirs", "2026-04-04T00:00:01.000000", :project => service.project_id("demo"))])
    expect(ids(drain(monitor))).to eq(%w[mine theirs])
    first = event_requests.first
    expect(query_value(first, "all_tenants")).to eq("True")
  end

  it "stays in its own project when all_tenants is false" do
    service.add_events([panko_event("mine", "2026-04-04T00:00:00.000000", :project => service.project_id("admin")),
                        panko_event("theirs", "2026-04-04T00:00:01.000000", :project => service.project_id("demo"))])
    expect(ids(drain(monitor(:all_tenants => false)))).to eq(%w[mine])
    expect(query_value(event_requests.first, "all_tenants")).to be_nil
  end

  it "filters with Ruby regexps that use look-ahead, as ManageIQ's defaults do" do
    types = %w[compute.instance.create.end port.create.end volume.create.end identity.authenticate
               network.create.end snapshot.create.end]
    service.add_events(types.each_with_index.map { |t, i| panko_event("r#{i}", "2026-05-05T00:00:0#{i}.000000", :type => t) })

    compute = monitor(:event_types_regex => MonitorHelpers::MIQ_DEFAULT_REGEX)
    expect(drain(compute).map { |e| e.payload["event_type"] }).to eq(%w[compute.instance.create.end identity.authenticate])
    expect(compute.stats[:filtered]).to eq(4)

    storage = monitor(:event_types_regex => '\A(volume|snapshot|backup)')
    expect(drain(storage).map { |e| e.payload["event_type"] }).to eq(%w[volume.create.end snapshot.create.end])
  end

  it "starts at :since and never asks for older events" do
    service.add_events([panko_event("old", "2026-06-06T00:00:00.000000"), panko_event("new", "2026-06-06T00:00:10.000000")])
    events = drain(monitor(:since => "2026-06-06T00:00:05Z"))
    expect(ids(events)).to eq(%w[new])
    expect(query_value(event_requests.first, "start_timestamp")).to eq("2026-06-06T00:00:05.000000")
  end

  it "does not move the cursor on a body that cannot be parsed, and retries" do
    service.add_events([panko_event("a", "2026-07-07T00:00:00.000000"), panko_event("b", "2026-07-07T00:00:01.000000")])
    service.faults({"path" => "events", "count" => 1, "truncate" => true},
                   {"path" => "events", "count" => 1, "status" => 503, "retry_after" => "0"},
                   {"path" => "events", "count" => 1, "body" => "<html>proxy error</html>"})
    mon = monitor
    events = drain(mon)
    expect(ids(events)).to eq(%w[a b])
    expect(mon.stats).to include(:errors => 3, :retries => 3)
    expect(mon.stats[:last_error]).to match(/unparseable|HTTP 503/)
    floors = event_requests.map { |r| query_value(r, "start_timestamp") }
    expect(floors.first(4)).to eq([nil, nil, nil, nil])
  end

  it "re-authenticates once when the token is revoked mid-drain" do
    service.generate(:count => 300, :start => "2026-08-08T00:00:00.000000", :step_ms => 1, :prefix => "rv")
    mon = monitor(:page_size => 100)
    events = []
    mon.start
    mon.each_batch do |batch|
      service.revoke_tokens if events.empty?
      events.concat(batch)
      mon.stop if mon.caught_up?
    end
    expect(ids(events)).to eq((1..300).map { |i| format("rv-%07d", i) })
    expect(mon.stats[:authentications]).to eq(2)
  end

  it "raises AuthenticationError for a wrong password" do
    mon = OpenstackHTTPEventMonitor.new(:http => keystone_options.merge(
      :auth => {:type => :keystone, :url => service.keystone_url, :username => "admin", :password => "wrong"}
    ))
    mon.start
    expect { mon.each_batch { nil } }.to raise_error(OpenstackHTTPEventMonitor::AuthenticationError, /admin/)
    expect(OpenstackHTTPEventMonitor.available?(:http => keystone_options.merge(
      :auth => {:type => :keystone, :url => service.keystone_url, :username => "admin", :password => "wrong"}
    ))).to be(false)
  end

  it "finds the event service in the catalog and reports one that is missing" do
    expect(OpenstackHTTPEventMonitor.available?(:http => keystone_options)).to be(true)
    service.configure(:catalog => %w[compute network])
    expect { OpenstackHTTPEventMonitor.verify!(:http => keystone_options) }
      .to raise_error(OpenstackHTTPEventMonitor::ServiceNotAvailableError, /compute, identity, network|compute.*network/)
  end

  it "works with a plain token and with no auth" do
    service.add_events([panko_event("x", "2026-09-09T00:00:00.000000")])
    service.configure(:require_auth => false)
    mon = OpenstackHTTPEventMonitor.new(:http => {:url => service.url, :auth => {:type => :none}, :poll_interval => 0.1})
    expect(ids(drain(mon))).to eq(%w[x])
    expect(event_requests.last["token"]).to be(false)
  end

  it "yields an empty batch for a poll with nothing new, and keeps polls apart by poll_interval" do
    mon = monitor(:poll_interval => 0.2)
    batches = []
    mon.start
    started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
    mon.each_batch do |batch|
      batches << batch
      mon.stop if batches.size == 3
    end
    elapsed = Process.clock_gettime(Process::CLOCK_MONOTONIC) - started
    expect(batches).to eq([[], [], []])
    expect(event_requests.size).to eq(3)
    expect(elapsed).to be >= 0.4 # two intervals between three polls: a contract, not a speed
  end

  it "resumes after stop and start where it stopped, repeating nothing" do
    service.add_events([panko_event("s1", "2026-10-10T00:00:00.000000")])
    mon = monitor
    expect(ids(drain(mon))).to eq(%w[s1])
    mon.stop
    mon.stop
    service.add_events([panko_event("s2", "2026-10-10T00:00:01.000000")])
    expect(ids(drain(mon))).to eq(%w[s2])
  end

  it "returns at once from each_batch before start" do
    mon = monitor
    yielded = false
    mon.each_batch { yielded = true }
    expect(yielded).to be(false)
    expect(event_requests).to be_empty
  end
end
