# frozen_string_literal: true

require "spec_helper"

# Odd and hostile pages, served verbatim by the look-alike: each row is
# either converted faithfully or skipped with a count and one log line.
RSpec.describe "Hostile or odd input" do
  with_lookalike

  let(:io) { StringIO.new }

  def drain_raw(body, **http)
    service.raw_events(body)
    mon = OpenstackHTTPEventMonitor.new(:logger => Logger.new(io), :http => keystone_options(**http))
    [drain(mon), mon]
  end

  def row(id, generated = "2026-01-01T00:00:00.000000", **fields)
    {"message_id" => id, "event_type" => "compute.instance.update", "generated" => generated, "traits" => []}.merge(fields)
  end

  it "skips rows missing message_id, event_type or generated, or with traits that are not a list" do
    body = JSON.generate([
      row("ok1"),
      row("no-type").tap { |r| r.delete("event_type") },
      row("no-time").tap { |r| r.delete("generated") },
      row(nil).tap { |r| r.delete("message_id") },
      row("bad-traits", :traits => {"name" => "x"}),
      row("trait-without-name", :traits => [{"value" => "v"}]),
      "not an object",
      row("ok2", "2026-01-01T00:00:01.000000")
    ])
    events, mon = drain_raw(body)
    expect(ids(events)).to eq(%w[ok1 ok2])
    expect(mon.stats[:skipped]).to eq(6)
    expect(io.string.scan(/skipped 6 malformed event\(s\) of 8/).size).to eq(1)
  end

  it "counts and logs a malformed row once, however often the window re-reads it" do
    service.raw_events(JSON.generate([row("ok1"), row("bad-traits", :traits => "nope"),
                                      row("no-type", "2026-01-01T00:00:01.000000").tap { |r| r.delete("event_type") }]))
    mon = OpenstackHTTPEventMonitor.new(:logger => Logger.new(io), :http => keystone_options)
    mon.start
    delivered = []
    mon.each_batch do |batch|
      delivered.concat(ids(batch))
      mon.stop if mon.stats[:polls] >= 5
    end
    expect(delivered).to eq(%w[ok1])
    expect(mon.stats).to include(:polls => 5, :skipped => 2)
    expect(io.string.scan(/skipped \d+ malformed/).size).to eq(1)
  end

  it "converts non-string trait values faithfully, as JSON.parse would" do
    traits = [{"name" => "int", "value" => 5}, {"name" => "float", "value" => 1.5}, {"name" => "nil", "value" => nil},
              {"name" => "bool", "value" => true}, {"name" => "list", "value" => [1, "a"]},
              {"name" => "hash", "value" => {"k" => "v"}}, {"name" => "novalue"}]
    events, = drain_raw(JSON.generate([row("typed", :traits => traits)]))
    expect(events.first.payload["payload"]).to eq("int" => 5, "float" => 1.5, "nil" => nil, "bool" => true,
                                                  "list" => [1, "a"], "hash" => {"k" => "v"}, "novalue" => nil)
  end

  it "replaces invalid UTF-8 rather than failing the page" do
    body = +'[{"message_id":"utf","event_type":"e","generated":"2026-01-01T00:00:00","traits":[{"name":"n","value":"caf'
    body << "\xC3\x28".b << '"}]}]'
    events, = drain_raw(body.b)
    value = events.first.payload["payload"]["n"]
    expect(value).to start_with("caf")
    expect(value.valid_encoding?).to be(true)
  end

  it "handles a 10 MB event and one with 100,000 traits" do
    big = row("big", :traits => [{"name" => "blob", "value" => "x" * (10 * 1024 * 1024)}])
    many = row("many", "2026-01-01T00:00:01.000000", :traits => (1..100_000).map { |i| {"name" => "t#{i}", "value" => i.to_s} })
    events, = drain_raw(JSON.generate([big, many]))
    expect(ids(events)).to eq(%w[big many])
    expect(events[0].payload["payload"]["blob"].bytesize).to eq(10 * 1024 * 1024)
    expect(events[1].payload["payload"].size).to eq(100_000)
  end

  it "accepts timestamps with and without zone or fraction, and keeps them verbatim" do
    stamps = ["2026-01-01T00:00:00", "2026-01-01T00:00:01.5", "2026-01-01T00:00:02Z", "2026-01-01T02:00:03+02:00",
              "2026-01-01 00:00:04.000001"]
    events, mon = drain_raw(JSON.generate(stamps.each_with_index.map { |t, i| row("t#{i}", t) }))
    expect(events.map { |e| e.payload["timestamp"] }).to eq(stamps)
    expect(mon.stats[:cursor]).to eq("2026-01-01T00:00:04.000001")
  end

  it "does not move the cursor past an event it could not read" do
    body = JSON.generate([row("early", "2026-01-01T00:00:00.000000"), row("garbled", "13 o'clock")])
    events, mon = drain_raw(body)
    expect(ids(events)).to eq(%w[early])
    expect(mon.stats[:cursor]).to eq("2026-01-01T00:00:00.000000")
  end

  describe "a poisoned value in the middle row of a page" do
    # Three rows whose middle one (p2) carries `traits` and `raw` as given,
    # written by hand: JSON.generate writes neither NaN nor 124 levels.
    def three_rows(traits: "[]", raw: "{}")
      row = lambda do |id, second, t, r|
        %({"message_id":"#{id}","event_type":"compute.instance.update","generated":"2026-01-01T00:00:0#{second}.000000",) +
          %("traits":#{t},"raw":#{r}})
      end
      "[#{row.call("p1", 0, "[]", "{}")},\n#{row.call("p2", 1, traits, raw)},\n#{row.call("p3", 2, "[]", "{}")}]"
    end

    def value_trait(json)
      %([{"name":"a","type":"string","value":"1"},{"name":"v","type":"string","value":#{json}}])
    end

    def nested(depth)
      "#{"[" * depth}\"x\"#{"]" * depth}"
    end

    # Serves `body` verbatim, then an event stored behind it; drains until
    # `count` events arrived (a watchdog stops a monitor that never gets there).
    def drain_poisoned(body, count, **http)
      service.reset
      service.add_events([panko_event("after", "2026-01-01T00:00:03.000000")])
      service.raw_events(body)
      mon = OpenstackHTTPEventMonitor.new(:logger => Logger.new(io), :http => keystone_options(**http))
      watchdog = Thread.new { sleep 20; mon.stop }
      events = drain(mon, :until_count => count)
      watchdog.kill
      [events, mon]
    end

    def trait(events, id, name = "v")
      events.find { |e| e.payload["message_id"] == id }.payload["payload"][name]
    end

    it "skips only the row whose trait value is nested 124 levels deep" do
      events, mon = drain_poisoned(three_rows(:traits => value_trait(nested(124))), 3)
      expect(ids(events)).to eq(%w[p1 p3 after])
      expect(mon.stats[:skipped]).to eq(1)
      expect(io.string).to match(/skipped 1 malformed event\(s\) of 3; first: p2 \(the value of trait "v" is nested deeper than 100 levels \(http\.max_nesting\)/)
      expect(mon.stats[:cursor]).to eq("2026-01-01T00:00:03.000000")
    end

    it "delivers a trait value 50 deep, and a 124-deep one under a larger max_nesting, as JSON.parse would" do
      events, = drain_poisoned(three_rows(:traits => value_trait(nested(50))), 4)
      expect(ids(events)).to eq(%w[p1 p2 p3 after])
      expect(trait(events, "p2")).to eq(JSON.parse(nested(50)))

      events, mon = drain_poisoned(three_rows(:traits => value_trait(nested(124))), 4, :max_nesting => 124)
      expect(ids(events)).to eq(%w[p1 p2 p3 after])
      expect(trait(events, "p2")).to eq(JSON.parse(nested(124), :max_nesting => 124))
      expect(mon.stats[:skipped]).to eq(0)
    end

    it "delivers a row whose trait value is NaN, as a NaN Float" do
      events, mon = drain_poisoned(three_rows(:traits => value_trait("NaN")), 4)
      expect(ids(events)).to eq(%w[p1 p2 p3 after])
      expect(trait(events, "p2")).to be_a(Float).and(be_nan)
      expect(trait(events, "p2", "a")).to eq("1")
      expect(mon.stats[:skipped]).to eq(0)
    end

    it "delivers a row whose raw holds Infinity, -Infinity and 1e999 (raw is never read)" do
      raw = '{"payload": {"a": Infinity, "b": -Infinity, "c": 1e999, "d": [NaN]}}'
      events, mon = drain_poisoned(three_rows(:raw => raw), 4)
      expect(ids(events)).to eq(%w[p1 p2 p3 after])
      expect(mon.stats[:skipped]).to eq(0)
    end

    it "delivers a row whose trait value has a lone \\ud800, as U+FFFD" do
      events, = drain_poisoned(three_rows(:traits => value_trait('"a\\ud800b"')), 4)
      expect(ids(events)).to eq(%w[p1 p2 p3 after])
      expect(trait(events, "p2")).to eq("a\uFFFDb")
    end

    it "makes an Integer of a 100-bit trait value and Float::INFINITY of 1e999" do
      traits = '[{"name":"big","value":123456789012345678901234567890},{"name":"neg","value":-123456789012345678901234567890},' \
               '{"name":"inf","value":1e999},{"name":"ninf","value":-Infinity},{"name":"u64","value":18446744073709551615}]'
      events, = drain_poisoned(three_rows(:traits => traits), 4)
      expect(ids(events)).to eq(%w[p1 p2 p3 after])
      payload = events[1].payload["payload"]
      expect(payload["big"]).to be_a(Integer).and(eq(123_456_789_012_345_678_901_234_567_890))
      expect(payload["neg"]).to eq(-123_456_789_012_345_678_901_234_567_890)
      expect(payload["u64"]).to eq(18_446_744_073_709_551_615)
      expect(payload["inf"]).to eq(Float::INFINITY)
      expect(payload["ninf"]).to eq(-Float::INFINITY)
    end

    it "skips only the row with an invalid literal inside a trait value" do
      events, mon = drain_poisoned(three_rows(:traits => value_trait("nul")), 3)
      expect(ids(events)).to eq(%w[p1 p3 after])
      expect(mon.stats[:skipped]).to eq(1)
      expect(io.string).to include('first: p2 (the value of trait "v" is not valid JSON: expected a value at byte')
    end
  end

  it "fails a whole page that is not an array and moves nothing" do
    service.add_events([panko_event("real", "2026-01-01T00:00:00.000000")])
    events, mon = drain_raw('{"error_message": "surprise"}')
    expect(ids(events)).to eq(%w[real])
    expect(mon.stats[:errors]).to eq(1)
  end
end
