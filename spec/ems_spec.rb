# frozen_string_literal: true

require "spec_helper"
require_relative "support/provider_models"

# ManageIQ hands the monitor its provider (`options[:ems]`); the cursor
# starts at the newest event it stored. A real ActiveRecord model on SQLite,
# so `maximum(:timestamp)` returns what ActiveRecord really returns.
RSpec.describe "Cursor start from the provider's stored events" do
  with_lookalike

  before(:all) { ProviderModels.connect! }
  after(:all) { ProviderModels.disconnect! }

  def start_timestamp_of_first_request
    params = event_requests.first["params"]
    index = params.select { |k, _| k == "q.field" }.map(&:last).index("start_timestamp")
    index && params.select { |k, _| k == "q.value" }.map(&:last)[index]
  end

  it "starts at ems.ems_events.maximum(:timestamp)" do
    ems = SpecCloudManager.create!(:name => "osp", :created_on => Time.utc(2025, 1, 1))
    ems.ems_events.create!(:event_type => "a", :timestamp => Time.utc(2026, 1, 1, 12, 0, 0))
    ems.ems_events.create!(:event_type => "b", :timestamp => Time.utc(2026, 1, 1, 12, 30, 15.25r))
    expect(ems.ems_events.maximum(:timestamp)).to be_a(Time)

    service.add_events([panko_event("before", "2026-01-01T12:00:00.000000"),
                        panko_event("after", "2026-01-01T12:31:00.000000")])
    mon = OpenstackHTTPEventMonitor.new(:ems => ems, :http => keystone_options)
    expect(ids(drain(mon))).to eq(%w[after])
    expect(start_timestamp_of_first_request).to eq("2026-01-01T12:30:15.250000")
  end

  it "converts a TimeWithZone in another zone to UTC" do
    require "active_support/time"
    ems = SpecCloudManager.create!(:name => "osp2")
    ems.ems_events.create!(:event_type => "a", :timestamp => Time.utc(2026, 2, 1, 8, 0, 0))
    zoned = Time.utc(2026, 2, 1, 8, 0, 0).in_time_zone("America/New_York")
    relation = Struct.new(:value) { def maximum(_column) = value }.new(zoned)
    fake_ems = Struct.new(:ems_events).new(relation)
    expect(OpenstackHTTPEventMonitor::Options.ems_since(fake_ems)).to eq("2026-02-01T08:00:00.000000Z")
    expect(OpenstackHTTPEventMonitor::Options.ems_since(ems)).to eq("2026-02-01T08:00:00.000000Z")
  end

  it "reads everything when the provider has no events yet, and :since wins over the ems" do
    ems = SpecCloudManager.create!(:name => "osp3")
    service.add_events([panko_event("first", "2020-01-01T00:00:00.000000")])
    expect(ids(drain(OpenstackHTTPEventMonitor.new(:ems => ems, :http => keystone_options)))).to eq(%w[first])
    expect(start_timestamp_of_first_request).to be_nil

    ems.ems_events.create!(:event_type => "a", :timestamp => Time.utc(2019, 1, 1))
    service.clear_requests
    OpenstackHTTPEventMonitor.new(:ems => ems, :http => keystone_options(:since => "2021-01-01T00:00:00")).tap { |m| drain(m) }
    expect(start_timestamp_of_first_request).to eq("2021-01-01T00:00:00.000000")
  end
end
