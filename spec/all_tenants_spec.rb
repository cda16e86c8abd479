# frozen_string_literal: true

require "spec_helper"

# Panko honours all_tenants only from a token with the admin role; from
# anyone else (Panko 10.0.0) it is a trait filter that matches nothing, and
# the answer is an empty list with no error. The look-alike's `admin: false`
# issues member tokens and behaves that way.
RSpec.describe "all_tenants and the caller's roles" do
  with_lookalike

  let(:io) { StringIO.new }

  def sent_all_tenants?(request)
    request["params"].include?(["q.field", "all_tenants"])
  end

  def seed
    service.add_events([panko_event("a1", "2026-01-01T00:00:00.000000", :project => service.project_id("admin")),
                        panko_event("d1", "2026-01-01T00:00:01.000000", :project => service.project_id("demo")),
                        panko_event("a2", "2026-01-01T00:00:02.000000", :project => service.project_id("admin")),
                        panko_event("d2", "2026-01-01T00:00:03.000000", :project => service.project_id("demo"))])
  end

  def member_monitor(**http)
    auth = keystone_options[:auth].merge(:project_name => "demo")
    OpenstackHTTPEventMonitor.new(:logger => Logger.new(io), :http => keystone_options(:auth => auth, **http))
  end

  it "reads a non-admin's own project without all_tenants under :auto, and says so once" do
    service.configure(:admin => false)
    seed
    mon = member_monitor
    expect(ids(drain(mon))).to eq(%w[d1 d2])
    expect(event_requests).not_to be_empty
    expect(event_requests.map { |r| sent_all_tenants?(r) }).to all(be(false))
    warning = /WARN -- : .*the token for project "demo" \(id #{service.project_id("demo")}\) has no admin role: reading only that project's events/
    expect(io.string.scan(warning).size).to eq(1)

    service.add_events([panko_event("d3", "2026-01-01T00:00:04.000000", :project => service.project_id("demo"))])
    expect(ids(drain(mon))).to eq(%w[d3])
    expect(io.string.scan(warning).size).to eq(1)
  end

  it "sends all_tenants for an admin's token under :auto and reads every project" do
    seed
    mon = member_monitor
    expect(ids(drain(mon))).to eq(%w[a1 d1 a2 d2])
    expect(event_requests.map { |r| sent_all_tenants?(r) }).to all(be(true))
    expect(io.string).not_to include("no admin role")
  end

  it "refuses all_tenants true with a non-admin token, in verify! and in polling" do
    service.configure(:admin => false)
    seed
    expect { OpenstackHTTPEventMonitor.verify!(:http => keystone_options(:all_tenants => true)) }
      .to raise_error(OpenstackHTTPEventMonitor::ConfigurationError, /http\.all_tenants: .*no admin role/)
    expect(OpenstackHTTPEventMonitor.available?(:logger => Logger.new(io), :http => keystone_options(:all_tenants => true)))
      .to be(false)
    expect(io.string).to match(/WARN -- : .*http\.all_tenants/)

    mon = member_monitor(:all_tenants => true)
    mon.start
    expect { mon.each_batch { mon.stop } }
      .to raise_error(OpenstackHTTPEventMonitor::ConfigurationError, /http\.all_tenants.*admin/)
    expect(event_requests).to be_empty
  end

  it "reads roles from Keystone v2.0 tokens too" do
    service.configure(:admin => false)
    seed
    auth = keystone_options[:auth].merge(:url => "#{service.keystone_url}/v2.0", :project_name => "demo")
    expect { OpenstackHTTPEventMonitor.verify!(:http => keystone_options(:auth => auth, :all_tenants => true)) }
      .to raise_error(OpenstackHTTPEventMonitor::ConfigurationError, /http\.all_tenants/)
    expect(ids(drain(OpenstackHTTPEventMonitor.new(:http => keystone_options(:auth => auth))))).to eq(%w[d1 d2])
  end
end
