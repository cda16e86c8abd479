# frozen_string_literal: true

require "spec_helper"
require "time"

# Services that page differently from Panko, or hostile ones: progress is
# checked on every page, the cursor never runs ahead of the service's clock,
# and memory stays bounded. Each example asserts the exact set delivered.
RSpec.describe "Progress, clock and memory" do
  with_lookalike

  let(:io) { StringIO.new }

  def logged_monitor(**http)
    OpenstackHTTPEventMonitor.new(:logger => Logger.new(io), :http => keystone_options(**http))
  end

  def param(request, name)
    request["params"].find { |k, _| k == name }&.last
  end

  # Polls for `seconds` after a drain; returns the events delivered meanwhile.
  def keep_polling(mon, seconds)
    got = []
    mon.start
    thread = Thread.new { mon.each_batch { |batch| got.concat(batch) } }
    sleep seconds
    mon.stop
    thread.join(10)
    got
  end

  def rss_kb
    File.read("/proc/self/status")[/^VmRSS:\s+(\d+)/, 1].to_i
  end

  it "serves a Date header, which the monitor reads as the service's clock" do
    response = Net::HTTP.get_response(URI("#{service.url}/_control/stats"))
    date = Time.httpdate(response["Date"])
    expect((date - Time.now).abs).to be < 60
  end

  context "with a service that ignores marker" do
    before { service.configure(:ignore_marker => true) }

    it "delivers 250 events on distinct timestamps exactly once, then polls at the poll interval" do
      service.generate(:count => 250, :start => "2026-01-01T00:00:00", :step_ms => 10, :prefix => "im")
      mon = logged_monitor(:page_size => 100, :poll_interval => 0.5)
      expect(ids(drain(mon))).to eq(names("im", 250))
      expect(io.string.scan(/ignores marker/).size).to eq(1)

      service.clear_requests
      expect(keep_polling(mon, 2)).to eq([])
      # about 4 polls of a few requests each; a tight loop makes hundreds
      expect(event_requests.size).to be < 40
      expect(event_requests.map { |r| param(r, "marker") }.compact).to eq([])
    end

    it "delivers 150 events sharing one timestamp and 100 others exactly once" do
      service.generate(:count => 150, :generated => "2026-01-01T00:00:01", :prefix => "same")
      service.generate(:count => 100, :start => "2026-01-01T00:00:02", :step_ms => 10, :prefix => "after")
      mon = logged_monitor(:page_size => 100)
      expect(ids(drain(mon)).sort).to eq((names("same", 150) + names("after", 100)).sort)
      # the one-timestamp page was asked again with a doubled limit
      expect(event_requests.map { |r| param(r, "limit") }).to include("200")
    end

    it "reports a timestamp holding more events than max_page_size, reads on past it, and does not loop" do
      service.generate(:count => 500, :generated => "2026-01-01T00:00:01", :prefix => "crowd")
      service.generate(:count => 20, :start => "2026-01-01T00:00:02", :step_ms => 10, :prefix => "later")
      mon = logged_monitor(:page_size => 100, :max_page_size => 400, :poll_interval => 0.2)
      got = ids(drain(mon))
      expect(got - names("crowd", 500)).to eq(names("later", 20))
      expect(got.size).to eq(420) # the first 400 on the crowded timestamp, read once
      expect(got).to eq(got.uniq)
      expect(mon.stats[:unreadable]).to eq(1)
      expect(io.string).to match(/ERROR.*at least 400 events share generated 2026-01-01T00:00:01.000000.*at most 400/)

      service.clear_requests
      expect(keep_polling(mon, 1)).to eq([])
      expect(event_requests.size).to be < 60
      expect(mon.stats[:unreadable]).to eq(1)
    end
  end

  it "pages by timestamp after a 400 to marker, as Ceilometer's own v2 events API answers" do
    service.configure(:reject_marker => true)
    service.generate(:count => 150, :generated => "2026-01-01T00:00:01", :prefix => "same")
    service.generate(:count => 100, :start => "2026-01-01T00:00:02", :step_ms => 10, :prefix => "other")
    mon = logged_monitor(:page_size => 100)
    expect(ids(drain(mon)).sort).to eq((names("same", 150) + names("other", 100)).sort)
    expect(ids(drain(mon))).to eq([]) # and nothing again
    with_marker = event_requests.select { |r| param(r, "marker") }
    expect(with_marker.map { |r| r["status"] }).to eq([400]) # asked once, never again
    expect(io.string.scan(/does not take marker/).size).to eq(1)
    expect(mon.stats[:errors]).to eq(0)
  end

  it "is not caught up after a short page from a service that caps pages below the limit asked" do
    service.configure(:max_limit => 100)
    service.generate(:count => 250, :start => "2026-01-01T00:00:00", :step_ms => 10, :prefix => "cap")
    mon = logged_monitor(:page_size => 1000)
    got = []
    caught_up = []
    mon.start
    mon.each_batch do |batch|
      got.concat(batch)
      caught_up << mon.caught_up?
      mon.stop if mon.caught_up?
    end
    expect(ids(got)).to eq(names("cap", 250))
    expect(caught_up.last).to be(true)
    expect(caught_up[0...-1]).to all(be(false))
    expect(io.string).to match(/at most 100 rows per page/)
    # Panko's fast path is kept: ceil(250 / 100) pages, plus one to learn the cap
    expect(event_requests.size).to be <= 4
  end

  it "keeps Panko's fast path: a drain costs ceil(N / limit) requests, plus one when the end is unproven" do
    service.generate(:count => 1_000, :start => "2026-01-01T00:00:00", :step_ms => 1, :prefix => "fast")
    mon = monitor(:page_size => 100)
    expect(ids(drain(mon))).to eq(names("fast", 1_000))
    expect(event_requests.size).to eq(11)
  end

  it "delivers an event stamped in 2099 without moving the cursor there" do
    now = Time.now.utc
    stamp = ->(t) { t.strftime("%Y-%m-%dT%H:%M:%S.%6N") }
    service.generate(:count => 40, :start => stamp.(now - 120), :step_ms => 100, :prefix => "now")
    service.add_events([panko_event("far-future", "2099-01-01T00:00:00.000000")])
    mon = logged_monitor
    expect(ids(drain(mon))).to eq(names("now", 40) + ["far-future"])
    expect(mon.stats[:cursor]).to start_with(now.year.to_s)
    warning = /WARN.*1 event\(s\) stamped more than 300s after the service's clock.*far-future generated 2099-01-01T00:00:00.000000/
    expect(io.string.scan(warning).size).to eq(1)

    service.generate(:count => 20, :start => stamp.(now - 60), :step_ms => 100, :prefix => "later")
    expect(ids(drain(mon))).to eq(names("later", 20))
    expect(mon.stats[:cursor]).to start_with(now.year.to_s)
    expect(io.string.scan(/stamped more than/).size).to eq(1)
  end

  it "keeps memory bounded under a flood of new malformed rows stamped in the future", :timeout => 180 do
    pages = 50
    id_tail = "x" * 2_000
    pages.times do |p|
      rows = (1..1_000).map do |i|
        {"message_id" => format("bad-%02d-%04d-%s", p, i, id_tail), "event_type" => "e",
         "generated" => format("2099-01-01T00:%02d:%02d.%06d", p / 60, p % 60, i), "traits" => "not a list"}
      end
      service.raw_events(JSON.generate(rows))
    end
    GC.start
    before = rss_kb
    mon = logged_monitor(:page_size => 1000)
    expect(drain(mon)).to eq([])
    GC.start
    growth_mb = (rss_kb - before) / 1024.0
    expect(growth_mb).to be < 100
    expect(mon.stats[:skipped]).to eq(pages * 1_000)
    expect(io.string.scan(/10000 malformed rows remembered/).size).to eq(1)
    # log lines quote at most 200 characters of a service's id
    expect(io.string.lines.map(&:size).max).to be < 1_000
  end
end
