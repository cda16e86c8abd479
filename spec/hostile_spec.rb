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

  it "fails a whole page that is not an array and moves nothing" do
    service.add_events([panko_event("real", "2026-01-01T00:00:00.000000")])
    events, mon = drain_raw('{"error_message": "surprise"}')
    expect(ids(events)).to eq(%w[real])
    expect(mon.stats[:errors]).to eq(1)
  end
end
