# frozen_string_literal: true

require "spec_helper"

# Event sources (http.source): the service's dialect. Panko is the default
# and is covered by every other spec; here Ceilometer's own v2 events API,
# played by the look-alike's `dialect: "ceilometer"` (no marker, no
# all_tenants: 400 "Unknown argument" to anything but q.* and limit), chosen
# by option or by a Keystone catalog that offers only `metering`.
RSpec.describe "Event sources" do
  with_lookalike

  let(:io) { StringIO.new }

  def logged_monitor(**http)
    OpenstackHTTPEventMonitor.new(:logger => Logger.new(io), :http => keystone_options(**http))
  end

  def params(name)
    event_requests.flat_map { |r| r["params"].select { |k, _| k == name }.map(&:last) }
  end

  context "with the look-alike playing Ceilometer's v2 events API" do
    before { service.configure(:dialect => "ceilometer") }

    it "answers 400 Unknown argument to marker and takes all_tenants for a trait filter" do
      service.generate(:count => 3, :start => "2026-01-01T00:00:00", :step_ms => 10, :prefix => "d")
      service.configure(:require_auth => false)
      get = lambda do |query|
        Net::HTTP.start("127.0.0.1", URI(service.url).port) { |http| http.get("/v2/events?#{query}") }
      end
      refused = get.call("limit=1&marker=d-0000001")
      expect(refused.code).to eq("400")
      expect(refused.body).to include("Unknown argument").and include("marker")
      expect(JSON.parse(get.call("q.field=all_tenants&q.op=eq&q.value=True").body)).to eq([])
      expect(JSON.parse(get.call("limit=2").body).map { |e| e["message_id"] }).to eq(names("d", 2))
    end

    it "with :source => :ceilometer drains 150 events on one timestamp and 100 others exactly once, never sending marker" do
      expected = crowded_backlog
      mon = logged_monitor(:source => :ceilometer, :page_size => 100)
      got = ids(drain(mon))
      expect(got.sort).to eq(expected.sort)
      expect(got.size).to eq(250)
      expect(ids(drain(mon))).to eq([]) # and nothing again

      expect(event_requests).not_to be_empty
      expect(params("marker")).to eq([])
      expect(params("q.field")).not_to include("all_tenants")
      expect(event_requests.map { |r| r["status"] }.uniq).to eq([200])
      # the one-timestamp page was asked again with a doubled limit
      expect(params("limit")).to include("200")
      expect(mon.stats[:errors]).to eq(0)
      expect(io.string).not_to match(/does not take marker/)
    end

    it "selects Ceilometer from a catalog that offers only metering, says so, and drains exactly once" do
      service.configure(:catalog => %w[metering])
      expected = crowded_backlog
      mon = logged_monitor(:page_size => 100)
      got = ids(drain(mon))
      expect(got.sort).to eq(expected.sort)
      expect(got.size).to eq(250)
      expect(io.string).to match(/catalog offers "metering", not "event": reading it as source ceilometer/)
      expect(io.string.scan(/reading it as source ceilometer/).size).to eq(1)
      expect(params("marker")).to eq([])
      expect(params("q.field")).not_to include("all_tenants")
      expect(event_requests.map { |r| r["status"] }.uniq).to eq([200])
    end

    it "keeps an explicit :source => :panko on a metering catalog (and falls back when marker is refused)" do
      service.configure(:catalog => %w[metering])
      service.generate(:count => 150, :start => "2026-01-01T00:00:00", :step_ms => 10, :prefix => "p")
      mon = logged_monitor(:source => :panko, :page_size => 100, :all_tenants => false)
      expect(ids(drain(mon))).to eq(names("p", 150))
      expect(io.string).not_to match(/reading it as source/)
      expect(event_requests.select { |r| r["params"].any? { |k, _| k == "marker" } }.map { |r| r["status"] }).to eq([400])
    end

    it "names the source when verified" do
      mon = logged_monitor(:source => "ceilometer")
      expect(mon.verify!).to be(true)
      expect(io.string).to match(/answers as source ceilometer: Ceilometer v2 events API/)
    end
  end

  it "accepts the source as a String or a Hash with only :type" do
    service.add_events([panko_event("s1", "2026-01-01T00:00:00.000000")])
    expect(ids(drain(monitor(:source => "ceilometer")))).to eq(%w[s1])
    expect(ids(drain(monitor("source" => {:type => :ceilometer})))).to eq(%w[s1])
    expect(ids(drain(monitor(:source => {"type" => "panko"})))).to eq(%w[s1])
  end

  it "rejects an unknown source at new, naming http.source and the sources that exist" do
    expect { monitor(:source => :bogus) }.to raise_error(
      OpenstackHTTPEventMonitor::ConfigurationError,
      /invalid option http\.source: unknown source "bogus" \(known: :panko, :ceilometer, :json, :push\)/
    )
    expect { monitor(:source => {:type => :gnocchi}) }.to raise_error(
      OpenstackHTTPEventMonitor::ConfigurationError, /http\.source\.type: unknown source "gnocchi" \(known: :panko, :ceilometer, :json, :push\)/
    )
    expect { monitor(:source => :json) }.to raise_error(
      OpenstackHTTPEventMonitor::ConfigurationError, /http\.source: the json source needs its options/
    )
    expect { monitor(:source => {:type => :ceilometer, :url => "x"}) }.to raise_error(
      OpenstackHTTPEventMonitor::ConfigurationError, /http\.source\.url: unknown option \(known: type\)/
    )
    expect { monitor(:source => 1) }.to raise_error(OpenstackHTTPEventMonitor::ConfigurationError, /http\.source: must be/)
    expect { monitor(:source => :ceilometer, :all_tenants => true) }.to raise_error(
      OpenstackHTTPEventMonitor::ConfigurationError, /http\.all_tenants: .*no all_tenants/
    )
    expect(service.requests).to eq([])
  end
end
