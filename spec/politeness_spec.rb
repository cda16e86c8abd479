# frozen_string_literal: true

require "spec_helper"

# Politeness towards the service, against the look-alike's GitHub-style
# dialect (lookalike/src/github.rs: GET /json/gh, bearer auth, Link paging,
# ETag/304, X-Poll-Interval, X-RateLimit-*): conditional requests
# (:etag), a spent rate limit that pauses polling, a poll interval header
# that slows polls down, http.max_service_wait, and gzip bodies (and a gzip
# bomb held to http.max_response_bytes).
RSpec.describe "Politeness" do
  with_lookalike

  let(:io) { StringIO.new }
  let(:token) { "lookalike-static-token" } # the look-alike's bearer token

  def gh_source
    {:type => :json, :records => "",
     :fields => json_fields,
     :params => {:since => "{since}", :per_page => "{limit}"}, :paging => {:type => :link_header},
     :etag => true, :poll_interval_header => "X-Poll-Interval"}
  end

  # backread 0: a caught-up poll asks for the newest stamp on, one page
  def gh_monitor(**http)
    OpenstackHTTPEventMonitor.new(
      :logger => Logger.new(io),
      :http   => {:url => "#{service.url}/json/gh", :poll_interval => 0.1, :page_size => 100, :backread_seconds => 0,
                  :auth => {:type => :bearer, :token => token}, :source => gh_source}.merge(http)
    )
  end

  def gh_requests
    service.requests.select { |r| r["path"] == "/json/gh" }
  end

  def conditional?(request)
    request["headers"].include?("if-none-match")
  end

  # Polls a caught-up monitor for about `seconds`; returns the requests made.
  def poll_for(mon, seconds)
    service.clear_requests
    deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + seconds
    mon.start
    mon.each_batch { mon.stop if Process.clock_gettime(Process::CLOCK_MONOTONIC) > deadline }
    gh_requests
  end

  it "rejects bad politeness options at new, naming the key" do
    {
      {:max_service_wait => 0}                                         => /http\.max_service_wait: must be more than zero seconds/,
      {:max_service_wait => "600"}                                     => /http\.max_service_wait: must be a number of seconds/,
      {:source => gh_source.merge(:etag => "yes")}                     => /http\.source\.etag: must be true or false/,
      {:source => gh_source.merge(:poll_interval_header => "X Poll")} => /http\.source\.poll_interval_header: "X Poll" is not a header name/
    }.each do |http, message|
      expect { gh_monitor(**http) }.to raise_error(OpenstackHTTPEventMonitor::ConfigurationError, message)
    end
    expect(service.requests).to eq([])
  end

  it "drains exactly once, then asks conditionally: a 304 is nothing new, and a new event comes once" do
    expected = crowded_backlog
    mon = gh_monitor
    got = ids(drain(mon))
    expect(got.size).to eq(expected.size)
    expect(got.sort).to eq(expected.sort)
    expect(gh_requests.flat_map { |r| r["params"].select { |k, _| k == "page" }.map(&:last) }).to include("2", "3")
    expect(gh_requests.map { |r| r["authorization"] }.uniq).to eq(["Bearer #{token}"])

    # caught up: the first poll learns the one-page answer's ETag, the next sends it back
    expect(ids(drain(mon))).to eq([])
    expect(ids(drain(mon))).to eq([])
    not_modified = gh_requests.select { |r| r["status"] == 304 }
    expect(not_modified).not_to be_empty
    expect(not_modified).to all(satisfy { |r| conditional?(r) })
    expect(gh_requests.map { |r| r["status"] }.uniq.sort).to eq([200, 304])

    service.generate(:count => 1, :generated => "2026-01-01T00:00:05", :prefix => "late")
    service.clear_requests
    expect(ids(drain(mon))).to eq(["late-0000001"])
    expect(gh_requests.first).to satisfy { |r| conditional?(r) && r["status"] == 200 }
    expect(ids(drain(mon))).to eq([])
    expect(mon.stats[:errors]).to eq(0)
  end

  it "pauses polling when the rate limit is spent mid-drain, until its reset, without an error" do
    service.configure(:gh_rate_limit => 2, :gh_rate_window => 2)
    expected = crowded_backlog # three pages: the second spends the budget
    mon = gh_monitor
    got = ids(drain(mon))
    expect(got.sort).to eq(expected.sort)
    expect(got.size).to eq(expected.size)
    expect(gh_requests.map { |r| r["status"] }).to all(eq(200)) # never asked while paused: no 403
    expect(gh_requests.size).to be >= 3
    expect(io.string).to match(/rate limit is spent \(X-RateLimit-Remaining: 0\): no request until \S+Z \(in \d/)
    expect(mon.stats[:errors]).to eq(0)
  end

  it "takes a 403 with X-RateLimit-Remaining: 0 for a rate limit, not refused credentials, and retries after the reset" do
    service.configure(:gh_rate_limit => 1, :gh_rate_window => 2)
    service.generate(:count => 5, :start => "2026-01-01T00:00:01", :step_ms => 10, :prefix => "rl")
    # someone else spent the budget
    uri = URI(service.url)
    Net::HTTP.start(uri.host, uri.port) { |http| http.get("/json/gh", "Authorization" => "Bearer #{token}") }
    mon = gh_monitor
    expect(ids(drain(mon)).sort).to eq(names("rl", 5))
    expect(gh_requests.map { |r| r["status"] }).to include(403)
    expect(mon.stats[:errors]).to eq(1)
    expect(mon.stats[:last_error]).to match(/HTTP 403: rate limit exceeded \(X-RateLimit-Remaining: 0\): API rate limit exceeded/)
    expect(mon.stats[:authentications]).to eq(0)
  end

  it "polls no faster than X-Poll-Interval asks, and no slower than http.max_service_wait" do
    service.generate(:count => 3, :start => "2026-01-01T00:00:01", :step_ms => 10, :prefix => "pi")
    service.configure(:gh_poll_interval => 1)
    mon = gh_monitor
    expect(ids(drain(mon))).to eq(names("pi", 3))
    # 0.05s apart these would be ~40 requests
    expect(poll_for(mon, 2.0).size).to be <= 4

    service.configure(:gh_poll_interval => 3600)
    capped = gh_monitor(:max_service_wait => 0.25)
    expect(ids(drain(capped))).to eq(names("pi", 3))
    # an hour apart this would be one request
    expect(poll_for(capped, 2.0).size).to be >= 4
    expect(io.string).to match(/asked to wait 3600s \(its poll interval header\); waiting 0.25s, the most http\.max_service_wait allows/)
    expect(capped.stats[:errors]).to eq(0)
  end

  it "drains gzip-encoded answers exactly once" do
    service.configure(:gzip => true)
    expected = crowded_backlog
    mon = gh_monitor
    got = ids(drain(mon))
    expect(got.sort).to eq(expected.sort)
    expect(got.size).to eq(expected.size)
    expect(gh_requests).to all(satisfy { |r| r["headers"].include?("accept-encoding") })
    expect(mon.stats[:errors]).to eq(0)
  end

  it "holds a gzip bomb to max_response_bytes decoded, keeps the cursor, then delivers once the bomb is gone" do
    service.generate(:count => 5, :start => "2026-01-01T00:00:01", :step_ms => 10, :prefix => "gz")
    service.faults({:path => "any", :gzip_bomb => 16 * 1024 * 1024, :count => 2}) # ~16 KiB compressed
    mon = gh_monitor(:max_response_bytes => 1024 * 1024)
    expect(ids(drain(mon)).sort).to eq(names("gz", 5))
    expect(mon.stats[:errors]).to eq(2)
    expect(mon.stats[:last_error]).to match(/exceeds http\.max_response_bytes \(1048576 bytes\)/)
    expect(io.string).to match(/max_response_bytes/)
    expect(ids(drain(mon))).to eq([])
  end
end
