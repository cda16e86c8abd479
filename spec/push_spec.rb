# frozen_string_literal: true

require "spec_helper"
require_relative "support/tls"

# The push receiver (:source => {:type => :push, ...}): events POSTed the
# way Ceilometer's http publisher and CloudEvents senders post them, over
# real HTTP on loopback, spooled, delivered through each_batch.
RSpec.describe "Push receiver" do
  let(:io) { StringIO.new }
  let(:password) { "push-pw-7c1e" }

  include_context "with a spool directory"

  alias_method :receiver, :push_receiver
  alias_method :post, :push_answer
  alias_method :receive, :receive_events

  def bound?(port)
    TCPSocket.new("127.0.0.1", port).close
    true
  rescue Errno::ECONNREFUSED
    false
  end

  it "binds at start, not new; takes Ceilometer's batches and single events; delivers them in ManageIQ's shape" do
    mon = receiver
    expect(bound?(@port)).to be(false)
    mon.start
    expect(bound?(@port)).to be(true)
    expect(post([ceilometer_event("a"), ceilometer_event("b")])).to eq([200, {"accepted" => 2, "duplicates" => 0, "malformed" => 0}])
    expect(post(ceilometer_event("c"), :query => "batch=False")[0]).to eq(200)
    events = receive(mon, 3)
    expect(events.map { |e| e.payload["message_id"] }).to eq(%w[a b c])
    event = events.first
    expect(event).to be_a(OpenstackEvent)
    expect(event.payload).to eq(
      "message_id" => "a", "event_type" => "compute.instance.create.end", "timestamp" => "2026-11-26T09:00:00.000001",
      "payload"    => {"tenant_id" => "t-1", "memory_mb" => 512, "vcpus" => 4, "launched_at" => "2026-11-26T08:59:00"}
    )
    expect(mon.stats[:events]).to eq(3)
  end

  it "refuses wrong or missing credentials (401, nothing stored) and never logs the password" do
    mon = receiver
    mon.start
    expect(post([ceilometer_event("x")], :pass => "wrong")[0]).to eq(401)
    expect(post([ceilometer_event("x")], :user => nil)[0]).to eq(401)
    expect(post([ceilometer_event("ok")])[0]).to eq(200)
    expect(receive(mon, 1).map { |e| e.payload["message_id"] }).to eq(["ok"])
    expect(io.string + mon.inspect + mon.stats.to_s).not_to include(password)
  end

  it "takes a retried batch once, skips a malformed event without losing the batch, and refuses what is not JSON" do
    mon = receiver
    mon.start
    batch = [ceilometer_event("r1"), {"message_id" => "broken"}, ceilometer_event("r2")]
    expect(post(batch)).to eq([200, {"accepted" => 2, "duplicates" => 0, "malformed" => 1}])
    expect(post(batch)).to eq([200, {"accepted" => 0, "duplicates" => 2, "malformed" => 1}])
    expect(post("{nope")[0]).to eq(400)
    expect(post("x", :type => "text/plain")[0]).to eq(415)
    expect(receive(mon, 2).map { |e| e.payload["message_id"] }).to eq(%w[r1 r2])
    expect(io.string).to include("skipped 1 malformed pushed event(s) of 3")
    expect(mon.stats).to include(:received => 2, :duplicates_dropped => 2, :skipped => 2, :refused => 2, :requests => 4,
                                 :events => 2)
  end

  it "delivers again first what a block did not return from, and frees the port at stop" do
    mon = receiver
    mon.start
    expect(post((1..5).map { |i| ceilometer_event("e#{i}") })[0]).to eq(200)
    seen = []
    expect do
      mon.each do |event|
        seen << event.payload["message_id"]
        raise "boom" if seen.size == 3
      end
    end.to raise_error(RuntimeError, "boom")
    expect(receive(mon, 3).map { |e| e.payload["message_id"] }).to eq(%w[e3 e4 e5])
    expect(seen).to eq(%w[e1 e2 e3])
    mon.stop
    deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + 2
    sleep 0.01 while bound?(@port) && Process.clock_gettime(Process::CLOCK_MONOTONIC) < deadline
    expect(bound?(@port)).to be(false)
  end

  it "counts raw_only payloads as malformed with one error saying what to do, or maps them with :formats => [:json]" do
    payload = {"instance_id" => "i-1", "state" => "active", "audit_period_ending" => "2026-11-26T09:00:00"}
    mon = receiver
    mon.start
    2.times { expect(post(payload)).to eq([200, {"accepted" => 0, "duplicates" => 0, "malformed" => 1}]) }
    mon.stop
    mon.each_batch { raise "nothing is delivered" }
    expect(io.string.scan(/drop raw_only from the publisher URL/).size).to eq(1)

    @port = nil
    mapped = receiver(:formats => %i[ceilometer json], :event_type_prefix => "compute.instance.",
                      :fields => {:event_type => "/state", :timestamp => "/audit_period_ending"})
    mapped.start
    expect(post([payload, ceilometer_event("c1")])).to eq([200, {"accepted" => 2, "duplicates" => 0, "malformed" => 0}])
    events = receive(mapped, 2)
    expect(events.map { |e| e.payload["event_type"] }).to eq(%w[compute.instance.active compute.instance.create.end])
    expect(events.first.payload["payload"]).to eq(payload)
    expect(events.first.payload["message_id"]).to match(/\A\h{64}\z/) # no id: the hash of the record
  end

  it "takes 100 senders at once: every event of every 2xx exactly once" do
    mon = receiver
    mon.start
    senders = (1..100).map do |t|
      Thread.new do
        (1..5).map do |b|
          events = (1..10).map { |i| ceilometer_event(format("t%03d-b%d-%02d", t, b, i)) }
          post(events)[0]
        end
      end
    end
    statuses = senders.flat_map(&:value)
    expect(statuses.uniq).to eq([200])
    got = receive(mon, 5000).map { |e| e.payload["message_id"] }
    expect(got.size).to eq(5000)
    expect(got.uniq.size).to eq(5000)
    expect(mon.stats[:received]).to eq(5000)
  end

  describe "over HTTPS" do
    before(:all) { @ca = TestCA.new }
    after(:all) { @ca.cleanup }

    def https_post(body, client: true)
      uri = URI("https://127.0.0.1:#{@port}/events")
      http = Net::HTTP.new(uri.host, uri.port)
      http.use_ssl = true
      http.ca_file = @ca.path("ca.pem")
      http.open_timeout = http.read_timeout = 5
      if client
        http.cert = OpenSSL::X509::Certificate.new(File.read(@ca.path("client.pem")))
        http.key = OpenSSL::PKey.read(File.read(@ca.path("client.key")))
      end
      request = Net::HTTP::Post.new(uri, "Content-Type" => "application/json")
      request.body = JSON.generate(body)
      http.start { |h| h.request(request) }.code.to_i
    end

    it "takes events from a sender with a client certificate the CA signed, and from no one else" do
      mon = receiver(:users => nil, :tls_cert => @ca.path("server.pem"), :tls_key => @ca.path("server.key"),
                     :client_ca => @ca.path("ca.pem"))
      mon.start
      expect { https_post([ceilometer_event("anonymous")], :client => false) }.to raise_error(StandardError)
      expect(https_post([ceilometer_event("tls-1")])).to eq(200)
      expect(receive(mon, 1).map { |e| e.payload["message_id"] }).to eq(["tls-1"])
      expect(mon.stats[:received]).to eq(1)
    end
  end

  it "refuses to start beyond loopback without credentials, naming the option" do
    expect do
      OpenstackHTTPEventMonitor.new(:http => {:source => {:type => :push, :listen => "0.0.0.0:0", :spool_dir => @spool}})
    end.to raise_error(OpenstackHTTPEventMonitor::ConfigurationError, /http\.source\.allow_anonymous/)
  end
end
