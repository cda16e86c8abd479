# frozen_string_literal: true

require "spec_helper"

# The generic JSON source with a cursor of the service's own
# (:cursor => {:type => :id | :token}) against the look-alike's
# /json/ndjson-seq (NDJSON records with an increasing "seq", ?after=N) and
# /json/feed (a change feed: {"records": [...], "cursor": "<token>"}): the
# cursor is kept between polls, every poll asks from it, nothing is read
# twice and no back-read is needed.
RSpec.describe "Generic JSON source with a cursor of the service's own" do
  with_lookalike

  let(:io) { StringIO.new }

  def seq_monitor(**http)
    json_monitor("/json/ndjson-seq",
                 {:records => "ndjson", :since_format => "unix_ms", :params => {:since => "{since}", :limit => "{limit}"},
                  :cursor => {:type => :id, :field => "/seq", :param => "after"}}, **http)
  end

  def feed_monitor(**http)
    json_monitor("/json/feed", {:records => "/records", :params => {:limit => "{limit}"},
                                :cursor => {:type => :token, :pointer => "/cursor", :param => "cursor"}}, **http)
  end

  # The value of `name` in each request (nil where it was left out).
  def param_of_each(name)
    json_requests.map { |r| r["params"].find { |k, _| k == name }&.last }
  end

  # Polls caught up `times` more times; returns the events delivered.
  def caught_up_polls(mon, times)
    events = []
    mon.start
    polls = 0
    mon.each_batch do |batch|
      events.concat(batch)
      polls += 1 if mon.caught_up?
      mon.stop if polls >= times
    end
    events
  end

  def feed_token(seq)
    "feed-#{seq}".unpack1("H*")
  end

  it "drains an NDJSON feed by an increasing id exactly once, then asks after the last id without re-reading" do
    expected = crowded_backlog
    mon = seq_monitor
    expect_exactly_once(mon, expected, :again => false)
    expect(param_of_each("after")).to eq([nil, "100", "200"]) # full, full, short: caught up
    expect(param_of_each("limit").uniq).to eq(["100"])
    expect(io.string).to include("events after id 200, limit 100")

    service.clear_requests
    expect(caught_up_polls(mon, 3)).to eq([])
    expect(param_of_each("after")).to all(eq("250"))
    expect(param_of_each("since")).to all(be_nil) # the cursor alone says where to read
    expect(json_requests.size).to be_between(3, 4)
    # nothing served twice: no back-read, nothing to de-duplicate
    expect(mon.stats[:duplicates_dropped]).to eq(0)
    expect(mon.caught_up?).to be(true)
  end

  it "delivers a new event once, and a late one stamped long before the newest (no back-read window to miss it)" do
    service.generate(:count => 3, :start => "2026-01-01T00:00:01", :step_ms => 10, :prefix => "first")
    mon = seq_monitor(:since => "2025-12-31T00:00:00")
    expect(ids(drain(mon))).to eq(names("first", 3))
    expect(param_of_each("since").first).to eq("1767139200000") # the first read is bound by since

    service.clear_requests
    service.generate(:count => 1, :generated => "2026-01-01T00:00:05", :prefix => "new")
    expect(ids(drain(mon))).to eq(["new-0000001"])
    expect(param_of_each("after").first).to eq("3")

    # arriving now: one stamped an hour before the newest event, one before
    # the configured start (never delivered)
    service.generate(:count => 1, :generated => "2026-01-01T00:00:04", :prefix => "late")
    service.add_events([panko_event("stale", "2025-12-31T23:00:00"), panko_event("before-start", "2025-12-30T00:00:00")])
    expect(ids(drain(mon))).to eq(["late-0000001", "stale"])
    expect(ids(drain(mon))).to eq([])
    expect(mon.stats[:duplicates_dropped]).to eq(1)
  end

  it "drains a change feed by its token exactly once; caught-up polls carry the last token; new events come once" do
    expected = crowded_backlog
    mon = feed_monitor
    expect_exactly_once(mon, expected, :again => false)
    expect(param_of_each("cursor")).to eq([nil, feed_token(100), feed_token(200)])
    expect(io.string).to include("events from cursor token #{feed_token(200)}, limit 100")

    service.clear_requests
    expect(caught_up_polls(mon, 3)).to eq([])
    expect(param_of_each("cursor")).to all(eq(feed_token(250)))
    expect(json_requests.size).to be_between(3, 4)

    service.clear_requests
    service.generate(:count => 2, :start => "2026-01-01T00:00:09", :step_ms => 10, :prefix => "new")
    expect(ids(drain(mon))).to eq(names("new", 2))
    expect(param_of_each("cursor").first).to eq(feed_token(250))
    expect(ids(drain(mon))).to eq([])
    expect(param_of_each("cursor").last).to eq(feed_token(252))
    expect(mon.stats[:duplicates_dropped]).to eq(0)
  end

  it "skips a record whose id is not a non-negative integer with its reason, counts it, and delivers the rest" do
    lines = [{"id" => "a", "seq" => 1, "type" => "t", "time" => 1_767_225_600_000},
             {"id" => "bad", "seq" => "x1", "type" => "t", "time" => 1_767_225_600_001},
             {"id" => "b", "seq" => 2, "type" => "t", "time" => 1_767_225_600_002}]
    service.raw_events(lines.map { |l| JSON.generate(l) }.join("\n"))
    mon = seq_monitor
    expect(ids(drain(mon))).to eq(%w[a b])
    expect(mon.stats[:skipped]).to eq(1)
    expect(io.string).to match(%r{first: bad \(the cursor id at "/seq" \(http\.source\.cursor\.field\) is a string})
    expect(param_of_each("after").compact).to all(eq("2"))
  end

  {
    "an id cursor (the same page after the same id)" => [
      :seq_monitor,
      [{"id" => "r1", "seq" => 1, "type" => "t", "time" => 1_767_225_600_000},
       {"id" => "r2", "seq" => 2, "type" => "t", "time" => 1_767_225_600_001}].map { |r| JSON.generate(r) }.join("\n")
    ],
    "a token (the same page, the same token)" => [
      :feed_monitor,
      JSON.generate("records" => [{"id" => "r1", "type" => "t", "time" => "2026-01-01T00:00:00Z"},
                                  {"id" => "r2", "type" => "t", "time" => "2026-01-01T00:00:01Z"}],
                    "cursor"  => "feed-0".unpack1("H*"))
    ]
  }.each do |name, (builder, body)|
    it "ends a drain whose full page comes back the same under #{name}, with a warning, instead of looping" do
      3.times { service.raw_events(body) }
      mon = send(builder, :page_size => 2)
      expect(ids(drain(mon))).to eq(%w[r1 r2])
      expect(io.string).to match(/served the same page again/)
      # each repeat ends its drain; the empty store then proves the end
      expect(json_requests.size).to be_between(3, 8)
      expect(mon.stats[:duplicates_dropped]).to be >= 2
    end
  end

  describe "configuration errors name the key, before any request" do
    def error_for(source)
      json_config_error("/json/feed", "/records", source)
    end

    it "rejects unknown types and keys, keys of another type, missing pointers and paging beside the cursor" do
      expect(error_for(:cursor => {:type => :seq})).to match(/http\.source\.cursor\.type: unknown cursor type "seq"/)
      expect(error_for(:cursor => {:type => :id, :bogus => 1})).to match(/http\.source\.cursor\.bogus: unknown option/)
      expect(error_for(:cursor => {:type => :id, :pointer => "/c"})).to match(/http\.source\.cursor\.pointer: does not apply/)
      expect(error_for(:cursor => {:type => :token})).to match(/http\.source\.cursor\.pointer: is required/)
      expect(error_for(:cursor => {:type => :id, :field => "seq"})).to match(/http\.source\.cursor\.field: "seq" is not a JSON Pointer/)
      expect(error_for(:cursor => {:type => :id}, :paging => {:type => :next, :pointer => "/links/next"}))
        .to match(/http\.source\.paging: must be absent or :none/)
      expect(error_for(:cursor => {:type => :id}, :fields => {:event_type => "/type", :timestamp => "/time"}))
        .to match(/http\.source\.cursor\.field: is required without http\.source\.fields\.message_id/)
      expect(error_for(:cursor => :id)).to match(/http\.source\.cursor: must be a Hash/)
      expect(json_requests).to eq([])
    end
  end
end
