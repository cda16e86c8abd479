# frozen_string_literal: true

require "spec_helper"
require "socket"

# Every fault a real event service throws, injected into the look-alike:
# the drain rides through it and delivers the exact set of events, once.
RSpec.describe "Riding through faults" do
  with_lookalike

  PASS = {"path" => "events", "count" => 1, "delay_ms" => 1}.freeze

  let(:expected) { (1..250).map { |i| format("f-%07d", i) } }

  before { service.generate(:count => 250, :start => "2026-01-01T00:00:00", :step_ms => 10, :prefix => "f") }

  def drain_through(*faults, **http)
    service.faults(*faults) unless faults.empty?
    mon = monitor(:page_size => 100, **http)
    [ids(drain(mon)), mon.stats]
  end

  {
    "a connection reset before any answer" => {"reset" => true},
    "a connection reset mid-body"          => {"truncate" => true},
    "a body that is not JSON"              => {"body" => "<html><body>502 Bad Gateway</body></html>"},
    "a body cut short (valid start)"       => {"body" => '[{"message_id": "f-0000001", "event_type": "compute.'},
    "HTTP 500"                             => {"status" => 500},
    "HTTP 502"                             => {"status" => 502},
    "HTTP 503"                             => {"status" => 503},
    "HTTP 504"                             => {"status" => 504}
  }.each do |what, fault|
    it "rides through #{what} on the second page, losing and repeating nothing" do
      # the first page passes (a rule with no effect), the second meets the fault
      got, stats = drain_through(PASS, fault.merge("path" => "events", "count" => 1))
      expect(got).to eq(expected)
      expect(stats).to include(:errors => 1, :retries => 1)
    end
  end

  it "obeys Retry-After in seconds (429) and as an HTTP-date (503)" do
    date = (Time.now.utc + 2).strftime("%a, %d %b %Y %H:%M:%S GMT")
    io = StringIO.new
    service.faults({"path" => "events", "count" => 1, "status" => 429, "retry_after" => "1"},
                   {"path" => "events", "count" => 1, "status" => 503, "retry_after" => date})
    mon = OpenstackHTTPEventMonitor.new(:logger => Logger.new(io), :http => keystone_options(:page_size => 100))
    expect(ids(drain(mon))).to eq(expected)
    waits = io.string.scan(/retrying in ([\d.]+)s/).flatten.map(&:to_f)
    expect(waits.size).to eq(2)
    expect(waits[0]).to be >= 1.0 # the delay it chose, not a measured time
    expect(waits[1]).to be >= 0.5
  end

  it "bounds a request that never answers by :read_timeout, then goes on" do
    got, stats = drain_through({"path" => "events", "count" => 1, "delay_ms" => 60_000}, :read_timeout => 0.5)
    expect(got).to eq(expected)
    expect(stats[:last_error]).to match(/timed out after 0.5s/)
  end

  it "re-authenticates once when the token is refused mid-drain" do
    got, stats = drain_through(PASS, {"path" => "events", "count" => 1, "status" => 401})
    expect(got).to eq(expected)
    expect(stats[:authentications]).to eq(2)
  end

  it "ends each_batch with AuthenticationError on a second 401 in a row, without a tight loop" do
    service.faults(PASS, {"path" => "events", "count" => 2, "status" => 401})
    mon = monitor(:page_size => 100)
    delivered = []
    mon.start
    expect { mon.each_batch { |b| delivered.concat(b) } }.to raise_error(OpenstackHTTPEventMonitor::AuthenticationError)
    expect(ids(delivered)).to eq(expected.first(100))
    expect(event_requests.count { |r| r["status"] == 401 }).to eq(2)
    expect(mon.stats[:authentications]).to eq(2)
  end

  it "treats a token refused right after it was issued as a credentials problem" do
    service.faults({"path" => "events", "count" => 1, "status" => 401})
    mon = monitor
    mon.start
    expect { mon.each_batch { nil } }.to raise_error(OpenstackHTTPEventMonitor::AuthenticationError, /injected fault 401/)
  end

  it "rides through a service that refuses connections for a while, then comes back" do
    port = TCPServer.open("127.0.0.1", 0) { |s| s.addr[1] }
    url = "http://127.0.0.1:#{port}"
    mon = OpenstackHTTPEventMonitor.new(:http => {:url => url, :auth => {:type => :none}, :poll_interval => 0.1})
    got = []
    mon.start
    poller = Thread.new { mon.each_batch { |b| got.concat(b); mon.stop if got.size >= 3 } }
    Timeout.timeout(10) { sleep 0.05 until mon.stats[:errors] >= 2 }
    Lookalike.open(:port => port, :no_auth => true) do |restarted|
      restarted.add_events(%w[a b c].each_with_index.map { |id, i| panko_event(id, "2026-01-01T00:00:0#{i}.000000") })
      expect(poller.join(30)).to eq(poller)
    end
    expect(ids(got)).to eq(%w[a b c])
    expect(mon.stats[:last_error]).to match(/cannot connect/)
    expect(mon.stats[:retries]).to be >= 2
  end

  it "answers stop at once during a back-off wait" do
    service.faults({"path" => "events", "count" => 1, "status" => 503, "retry_after" => "300"})
    mon = monitor
    mon.start
    thread = Thread.new { mon.each_batch { nil } }
    Timeout.timeout(10) { sleep 0.01 until mon.stats[:retries] == 1 }
    mon.stop
    expect(thread.join(5)).to eq(thread) # the back-off would last 300 s
  end
end
