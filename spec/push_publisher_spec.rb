# frozen_string_literal: true

require "securerandom"
require "spec_helper"

# The look-alike's push publisher (`--push-to`, which bin/demo --push uses)
# against a real push receiver: what it reports as accepted is exactly what
# the receiver delivers, and refusals and unreachable receivers are counted
# as Ceilometer's http publisher would meet them.
RSpec.describe "The look-alike's push publisher" do
  let(:password) { "pub-pw-#{SecureRandom.hex(6)}" }
  let(:io) { StringIO.new }

  include_context "with a spool directory"

  def receiver(port)
    OpenstackHTTPEventMonitor.new(
      :logger => Logger.new(io),
      :http   => {:source => {:type => :push, :listen => "127.0.0.1:#{port}", :spool_dir => @spool,
                              :users => {"ceilometer" => password}}}
    )
  end

  # Waits until the publisher has an outcome for all `count` events; returns its counts.
  def settled(service, count)
    deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + 30
    loop do
      counts = service.pushed
      return counts if counts.values_at("accepted", "dropped", "failed").sum >= count
      raise "the publisher has no outcome for all #{count} events: #{counts}" if Process.clock_gettime(Process::CLOCK_MONOTONIC) > deadline

      sleep 0.05
    end
  end

  # Receives on `port` while the look-alike publishes `count` events to
  # `url`; returns the ids delivered through each_batch, the publisher's
  # counts and its log.
  def publish(port, url, count)
    mon = receiver(port)
    mon.start
    delivered = []
    reader = Thread.new { mon.each_batch { |batch| delivered.concat(batch.map { |e| e.payload["message_id"] }) } }
    service = Lookalike.start(:stream => 50, :push_to => url, :push_count => count)
    begin
      counts = settled(service, count)
      # every accepted event was spooled before its 2xx: wait for it to come out
      deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + 30
      sleep 0.05 while delivered.size < counts["accepted"] && Process.clock_gettime(Process::CLOCK_MONOTONIC) < deadline
      mon.stop
      reader.join
      [delivered, counts, service.log]
    ensure
      service.stop
    end
  ensure
    mon&.stop
    reader&.join(5)
  end

  def url(port, pass: password, query: "batch=True&timeout=5")
    "http://ceilometer:#{pass}@127.0.0.1:#{port}/events?#{query}"
  end

  it "one POST per event with batch=False: the ids delivered are exactly those it reports accepted" do
    port = free_port
    delivered, counts, = publish(port, url(port, :query => "batch=False&timeout=5"), 12)
    expect(counts.slice("accepted", "dropped", "failed", "posts")).to eq("accepted" => 12, "dropped" => 0, "failed" => 0, "posts" => 12)
    expect(counts["accepted_ids"].uniq.size).to eq(12)
    expect(delivered.sort).to eq(counts["accepted_ids"].sort)
  end

  it "JSON arrays with batch=True: every event delivered once, in no more POSTs than events" do
    port = free_port
    delivered, counts, = publish(port, url(port), 30)
    expect(counts.slice("accepted", "dropped", "failed")).to eq("accepted" => 30, "dropped" => 0, "failed" => 0)
    expect(counts["posts"]).to be_between(1, 30)
    expect(counts["accepted_ids"].uniq.size).to eq(30)
    expect(delivered.sort).to eq(counts["accepted_ids"].sort)
  end

  it "a wrong password: the receiver answers 401, the events are dropped and nothing is delivered; no password logged" do
    port = free_port
    wrong = "wrong-#{SecureRandom.hex(4)}"
    delivered, counts, log = publish(port, url(port, :pass => wrong, :query => "batch=False&timeout=5"), 4)
    expect(counts.slice("accepted", "dropped", "failed", "posts")).to eq("accepted" => 0, "dropped" => 4, "failed" => 0, "posts" => 4)
    expect(counts["accepted_ids"]).to eq([])
    expect(delivered).to eq([])
    expect(log).to include("answered 401")
    expect(log).not_to include(wrong)
    expect(io.string).not_to include(wrong)
  end

  it "a port nobody listens on: after the retries the events have failed, and no POST was answered" do
    port = free_port
    service = Lookalike.start(:stream => 50, :push_to => url(port), :push_count => 5)
    begin
      counts = settled(service, 5)
      expect(counts.slice("accepted", "dropped", "failed", "posts")).to eq("accepted" => 0, "dropped" => 0, "failed" => 5, "posts" => 0)
      expect(service.log).to include("cannot connect")
      expect(service.log).not_to include(password)
    ensure
      service.stop
    end
  end
end
