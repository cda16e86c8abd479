# frozen_string_literal: true

require "spec_helper"
require_relative "support/postgres"

# The push receiver with its spool in PostgreSQL (a ManageIQ region's
# database): what one receiver accepted is delivered by the catcher that
# starts elsewhere, each consumer of the stream gets every event once, and
# the database's password is in no log, error or inspect.
RSpec.describe "Push receiver with the PostgreSQL spool" do
  let(:io) { StringIO.new }
  let(:password) { "push-pw-pg-41" }

  before(:all) { @pg = ThrowawayPostgres.new }
  after(:all) { @pg&.stop }

  def receiver(consumer, port: free_port, **spool)
    OpenstackHTTPEventMonitor.new(
      :logger => Logger.new(io),
      :http   => {:source => {:type => :push, :listen => "127.0.0.1:#{port}", :consumer => consumer,
                              :users => {"ceilometer" => password},
                              :spool => {:type => :postgresql, :url => @pg.url, :stream => stream}.merge(spool)}}
    )
  end

  def post(port, body)
    response = push_post(port, body, :user => "ceilometer", :pass => password)
    [response.code.to_i, (JSON.parse(response.body) rescue response.body)]
  end

  def ids(events)
    events.map { |e| e.payload["message_id"] }
  end

  it "hands what one receiver accepted and did not deliver to the catcher that starts elsewhere, once" do
    @stream = "failover"
    # every consumer of the stream is there before events come, as a
    # provider's catchers are
    network = receiver("network")
    network.start
    first_port = free_port
    first = receiver("cloud", :port => first_port)
    first.start
    expect(post(first_port, [ceilometer_event("a"), ceilometer_event("b"), ceilometer_event("c")])[0]).to eq(200)
    seen = []
    first.each do |event|
      seen << event.payload["message_id"]
      break if seen.size == 2 # "b"'s block never returned
    end
    first.stop
    expect(seen).to eq(%w[a b])

    second_port = free_port
    second = receiver("cloud", :port => second_port)
    second.start
    expect(post(second_port, [ceilometer_event("a"), ceilometer_event("d")])).to eq(
      [200, {"accepted" => 1, "duplicates" => 1, "malformed" => 0}]
    )
    expect(ids(receive_events(second, 3))).to eq(%w[b c d])

    expect(ids(receive_events(network, 4))).to eq(%w[a b c d])
  end

  it "answers 503 while the database is down, never 2xx for what it did not store, and keeps its password out of sight" do
    @stream = "outage"
    port = free_port
    mon = receiver("cloud", :port => port)
    mon.start
    expect(post(port, [ceilometer_event("before")])[0]).to eq(200)
    @pg.halt
    begin
      status, body = post(port, [ceilometer_event("during")])
      expect(status).to eq(503)
      expect(body).to eq("error" => "the spool is unavailable; try again later")
    ensure
      @pg.start
    end
    expect(post(port, [ceilometer_event("after")])[0]).to eq(200)
    expect(ids(receive_events(mon, 2))).to eq(%w[before after])
    expect(io.string).to include("cannot spool pushed events")
    expect(io.string + mon.inspect + mon.stats.to_s).not_to include(ThrowawayPostgres::PASSWORD)

    wrong = OpenstackHTTPEventMonitor.new(
      :http => {:source => {:type => :push, :listen => "127.0.0.1:#{free_port}", :users => {"ceilometer" => password},
                            :spool => {:type => :postgresql, :url => @pg.url.sub(ThrowawayPostgres::PASSWORD, "Wr0ng-pw-99")}}}
    )
    expect { wrong.start }.to raise_error(OpenstackHTTPEventMonitor::ConnectionError) { |e|
      expect(e.message).to include("password authentication failed")
      expect(e.message).not_to include("Wr0ng-pw-99")
    }
    expect(wrong.inspect).not_to include("Wr0ng-pw-99")
  end

  it "lets a catcher that does not listen (listen: false) read what the receiver accepted, as its own consumer" do
    @stream = "one-url"
    storage = OpenstackHTTPEventMonitor.new(
      :logger => Logger.new(io),
      :http   => {:source => {:type => :push, :listen => false, :consumer => "storage",
                              :spool => {:type => :postgresql, :url => @pg.url, :stream => stream}}}
    )
    storage.start
    port = free_port
    cloud = receiver("cloud", :port => port)
    cloud.start
    expect(post(port, [ceilometer_event("v1"), ceilometer_event("v2")])[0]).to eq(200)
    expect(ids(receive_events(storage, 2))).to eq(%w[v1 v2])
    expect(ids(receive_events(cloud, 2))).to eq(%w[v1 v2])
    expect(io.string).to include('as consumer "storage" (not listening')
  end

  it "names the option of a bad spool setting" do
    expect do
      OpenstackHTTPEventMonitor.new(:http => {:source => {:type => :push, :listen => "127.0.0.1:0",
                                                          :spool => {:type => :postgresql}}})
    end.to raise_error(OpenstackHTTPEventMonitor::ConfigurationError, /http\.source\.spool\.url/)
  end

  private

  attr_reader :stream
end
