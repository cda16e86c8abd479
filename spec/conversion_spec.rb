# frozen_string_literal: true

require "spec_helper"
require "net/http"
require "open3"
require "rbconfig"

# ManageIQ's converter contract, restated: message_id, event_type, generated
# verbatim as "timestamp", and the traits folded into a Hash by name (a
# repeated name keeps its first position and takes the last value).
module ManageIQConversion
  module_function

  def payload(row)
    traits = {}
    row["traits"].each { |trait| traits[trait["name"]] = trait["value"] }
    {"message_id" => row["message_id"], "event_type" => row["event_type"],
     "timestamp" => row["generated"], "payload" => traits}
  end
end

RSpec.describe "Conversion" do
  with_lookalike

  let(:rows) do
    [
      panko_event("c1", "2026-01-01T00:00:00.123000", :type => "compute.instance.create.end",
                  :traits => {"tenant_id" => "t1", "_context_user_name" => "admin", "display_name" => "vm-ß-😀",
                              "memory_mb" => "512"}),
      panko_event("c2", "2026-01-01T00:00:01", :type => "volume.attach.end",
                  :traits => {"instance_id" => "i-1"}).tap do |r|
        r["traits"] << {"name" => "instance_id", "type" => "string", "value" => "i-2"}
        r["traits"] << {"name" => "size", "type" => "integer", "value" => "10"}
      end,
      panko_event("c3", "2026-01-01T00:00:02.000001", :type => "identity.authenticate")
    ]
  end

  it "yields what ManageIQ's Ceilometer converter makes of the same Panko rows" do
    service.add_events(rows)
    # the rows exactly as the service serves them
    service.configure(:require_auth => false)
    raw = JSON.parse(Net::HTTP.get(URI("#{service.url}/v2/events?q.field=all_tenants&q.op=eq&q.value=True")))
    expect(raw.size).to eq(3)
    events = drain(monitor)
    expect(events.map(&:payload)).to eq(raw.map { |row| ManageIQConversion.payload(row) })
    expect(events.map(&:metadata)).to all(eq(:user_id => nil, :priority => nil, :content_type => nil))
    expect(events).to all(be_an(OpenstackEvent))
    expect(events[1].payload["payload"].keys).to eq(%w[instance_id size])
    expect(events[1].payload["payload"]["instance_id"]).to eq("i-2")
    expect(events[0].payload["timestamp"]).to eq("2026-01-01T00:00:00.123000")
    expect(events[0].payload["payload"]["display_name"].encoding).to eq(Encoding::UTF_8)
  end

  it "makes Strings a ManageIQ worker may keep, change or freeze as it would JSON.parse's" do
    service.add_events(rows)
    events = drain(monitor)
    keys = events.flat_map { |e| e.payload.keys + e.payload["payload"].keys }
    expect(keys.map(&:encoding).uniq).to eq([Encoding::UTF_8])
    expect(keys).to all(be_frozen)
    # values are the caller's own: unfrozen, and changing one changes no other event
    values = events.flat_map { |e| e.payload.values_at("message_id", "event_type", "timestamp") + e.payload["payload"].values }
    expect(values.none?(&:frozen?)).to be(true)
    events[0].payload["payload"]["tenant_id"] << "-changed"
    events[0].payload["event_type"].upcase!
    expect(events[0].payload["payload"]["tenant_id"]).to eq("t1-changed")
    expect(events[1].payload["event_type"]).to eq("volume.attach.end")
    again = drain(monitor)
    expect(again[0].payload["payload"]["tenant_id"]).to eq("t1")
    expect(again[0].payload["event_type"]).to eq("compute.instance.create.end")
  end

  it "folds many traits, repeats across any boundary, and more names than it caches, as ManageIQ does" do
    many = panko_event("m1", "2026-01-01T00:00:00", :traits => (1..40).to_h { |i| ["t#{i}", "v#{i}"] })
    many["traits"] << {"name" => "t3", "type" => "string", "value" => "late"}      # a repeat in a later chunk
    many["traits"] << {"name" => "count", "type" => "integer", "value" => 7}
    wide = panko_event("m2", "2026-01-01T00:00:01", :traits => (1..100).to_h { |i| ["w#{i}", i.to_s] })
    service.add_events([many, wide])
    service.configure(:require_auth => false)
    raw = JSON.parse(Net::HTTP.get(URI("#{service.url}/v2/events?q.field=all_tenants&q.op=eq&q.value=True")))
    events = drain(monitor)
    expect(events.map(&:payload)).to eq(raw.map { |row| ManageIQConversion.payload(row) })
    expect(events[0].payload["payload"].keys.first(4)).to eq(%w[t1 t2 t3 t4])
    expect(events[0].payload["payload"]["t3"]).to eq("late")
    expect(events[1].payload["payload"].size).to eq(100)
  end

  it "makes ManageIQ's plain OpenstackEvent without calling initialize, and calls a changed initialize" do
    service.add_events(rows)
    script = <<~RUBY
      require "openstack_http_event_monitor"
      calls = 0
      if ARGV[1] == "prepended"
        OpenstackEvent.prepend(Module.new { define_method(:initialize) { |*args| calls += 1; super(*args) } })
      end
      monitor = OpenstackHTTPEventMonitor.new(:http => {:url => ARGV[0], :auth => {:type => :none}, :poll_interval => 1})
      monitor.start
      events = []
      monitor.each_batch { |batch| events.concat(batch); monitor.stop }
      puts [calls, events.size, events.map { |e| e.instance_variables.sort }.uniq.inspect,
            events.map { |e| e.payload["message_id"] }.join(",")].join(" ")
    RUBY
    service.configure(:require_auth => false)
    run = lambda do |mode|
      out, err, status = Open3.capture3(RbConfig.ruby, "-I", File.expand_path("../lib", __dir__), "-e", script,
                                        service.url, mode)
      raise err unless status.success?

      out.strip
    end
    expect(run.call("plain")).to eq("0 3 [[:@metadata, :@payload]] c1,c2,c3")
    expect(run.call("prepended")).to eq("3 3 [[:@metadata, :@payload]] c1,c2,c3")
  end

  it "gives each event its own metadata Hash" do
    service.add_events(rows)
    events = drain(monitor)
    events[0].metadata[:user_id] = "changed"
    expect(events[1].metadata[:user_id]).to be_nil
  end

  it "skips malformed rows with a count instead of failing the poll" do
    service.raw_events(JSON.generate([
      panko_event("ok", "2026-01-01T00:00:00.000000"),
      {"message_id" => "bad", "event_type" => "x", "generated" => "not a time", "traits" => []},
      {"event_type" => "x", "generated" => "2026-01-01T00:00:00.000000", "traits" => []}
    ]))
    mon = monitor
    expect(ids(drain(mon))).to eq(%w[ok])
    expect(mon.stats[:skipped]).to eq(2)
  end
end
