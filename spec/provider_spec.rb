# frozen_string_literal: true

require "spec_helper"
require_relative "support/tls"
require_relative "support/provider_models"
require_relative "support/manageiq/openstack_event_monitor"
require_relative "support/manageiq/worker"

# Configuration derived from the provider record alone, end to end against
# the look-alike's Keystone (at the root, as address:port/v3 reaches it).
RSpec.describe "Configuration from the ManageIQ provider" do
  with_lookalike

  before(:all) { ProviderModels.connect! }
  after(:all) { ProviderModels.disconnect! }

  let(:log) { StringIO.new }
  let(:logger) { Logger.new(log) }

  def provider(**attrs)
    port = URI(service.url).port
    SpecCloudManager.create!({:name => "osp", :address => "127.0.0.1", :port => port, :api_version => "v3",
                              :security_protocol => "non-ssl", :keystone_v3_domain_id => "default",
                              :userid => "admin", :password => "secret"}.merge(attrs))
  end

  def options(ems, **extra)
    {:ems => ems, :logger => logger, :http => {:poll_interval => 0.1}}.merge(extra)
  end

  def first_events_request
    event_requests.first
  end

  def all_tenants?(request)
    request["params"].include?(["q.value", "True"])
  end

  it "uses Keystone v3 from address, port and api_version, with all_tenants" do
    ems = provider
    service.add_events([panko_event("v3", "2026-01-01T00:00:00.000000", :project => service.project_id("demo"))])
    expect(OpenstackHTTPEventMonitor.available?(options(ems))).to be(true)
    expect(ids(drain(OpenstackHTTPEventMonitor.new(options(ems))))).to eq(%w[v3])
    paths = service.requests.map { |r| r["path"] }
    expect(paths).to include("/v3/auth/tokens", "/v3/auth/projects")
    expect(all_tenants?(first_events_request)).to be(true)
  end

  it "uses Keystone v2.0 without all_tenants, as ManageIQ does" do
    ems = provider(:api_version => "v2")
    service.add_events([panko_event("mine", "2026-01-01T00:00:00.000000", :project => service.project_id("admin")),
                        panko_event("theirs", "2026-01-01T00:00:01.000000", :project => service.project_id("demo"))])
    expect(ids(drain(OpenstackHTTPEventMonitor.new(options(ems))))).to eq(%w[mine])
    expect(service.requests.map { |r| r["path"] }).to include("/v2.0/tokens", "/v2.0/tenants")
    expect(all_tenants?(first_events_request)).to be(false)
  end

  it "scopes to the first reachable project other than services when admin is out of reach" do
    service.configure(:projects => %w[services demo])
    ems = provider(:api_version => "v2")
    service.add_events([panko_event("admins", "2026-01-01T00:00:00.000000", :project => service.project_id("admin")),
                        panko_event("demos", "2026-01-01T00:00:01.000000", :project => service.project_id("demo"))])
    expect(ids(drain(OpenstackHTTPEventMonitor.new(options(ems))))).to eq(%w[demos])
  end

  it "lets options[:http] name the project and override what the provider says" do
    ems = provider(:api_version => "v2")
    service.add_events([panko_event("demos", "2026-01-01T00:00:01.000000", :project => service.project_id("demo"))])
    mon = OpenstackHTTPEventMonitor.new(options(ems, :http => {:auth => {:project_name => "demo"}, :poll_interval => 0.1}))
    expect(ids(drain(mon))).to eq(%w[demos])
  end

  it "reads the connection of a network manager from its parent manager" do
    parent = provider
    network = SpecNetworkManager.create!(:name => "osp Network", :parent_manager => parent)
    service.add_events([panko_event("n1", "2026-01-01T00:00:00.000000")])
    expect(ids(drain(OpenstackHTTPEventMonitor.new(options(network))))).to eq(%w[n1])
  end

  it "falls back to the metering service (Ceilometer's v2 events API)" do
    service.configure(:catalog => %w[metering])
    service.add_events([panko_event("c1", "2026-01-01T00:00:00.000000")])
    expect(ids(drain(OpenstackHTTPEventMonitor.new(options(provider))))).to eq(%w[c1])
  end

  it "is not available with a catalog holding neither, and says what it holds" do
    service.configure(:catalog => %w[compute network volumev3])
    opts = options(provider)
    expect(OpenstackHTTPEventMonitor.available?(opts)).to be(false)
    expect(log.string).to match(/not available: .*neither "event" \(Panko\) nor "metering".*compute, identity, network, volumev3/)
    expect { OpenstackHTTPEventMonitor.verify!(opts) }.to raise_error(MiqException::ServiceNotAvailable)
    expect { OpenstackHTTPEventMonitor.verify!(opts) }.to raise_error(OpenstackHTTPEventMonitor::ServiceNotAvailableError)
  end

  it "raises an error a ManageIQ user can act on for a wrong password" do
    opts = options(provider(:password => "wrong"))
    expect(OpenstackHTTPEventMonitor.available?(opts)).to be(false)
    error = begin
      OpenstackHTTPEventMonitor.verify!(opts)
    rescue OpenstackHTTPEventMonitor::AuthenticationError => e
      e
    end
    expect(error).to be_a(MiqException::MiqInvalidCredentialsError)
    expect(error).to be_a(OpenstackHTTPEventMonitor::Error)
    expect(error.message).to include('user "admin"')
    expect(error.message).not_to include("wrong")
  end

  it "raises MiqHostError-compatible ConnectionError when Keystone cannot be reached" do
    opts = options(provider(:port => 9))
    expect { OpenstackHTTPEventMonitor.verify!(opts) }.to raise_error(MiqException::MiqHostError, /cannot connect/)
  end

  it "takes event_types_regex from the worker's ceilometer settings" do
    service.add_events([panko_event("vm", "2026-01-01T00:00:00.000000"),
                        panko_event("vol", "2026-01-01T00:00:01.000000", :type => "volume.create.end")])
    opts = options(provider, :ceilometer => {:event_types_regex => '\A(?!firewall|floatingip|gateway|net|port|router|subnet|security_group|vpn|volume|snapshot|backup)'})
    expect(ids(drain(OpenstackHTTPEventMonitor.new(opts)))).to eq(%w[vm])
  end

  it "starts at the newest stored event, else at created_on when ManageIQ skips history" do
    ems = provider(:created_on => Time.utc(2026, 3, 1, 10, 0, 0))
    tree = {:ems => {:ems_openstack => {:event_handling => {:event_skip_history => true, :event_backread_seconds => 2}}}}
    settings = Struct.new(:tree) { def to_hash = tree }.new(tree)
    stub_const("Settings", settings)
    drain(OpenstackHTTPEventMonitor.new(options(ems)))
    expect(first_events_request["params"]).to include(["q.value", "2026-03-01T10:00:00.000000"])

    service.clear_requests
    ems.ems_events.create!(:event_type => "x", :timestamp => Time.utc(2026, 3, 2, 9, 0, 0))
    mon = OpenstackHTTPEventMonitor.new(options(ems))
    drain(mon)
    expect(first_events_request["params"]).to include(["q.value", "2026-03-02T09:00:00.000000"])
  end

  it "gives ManageIQ's worker the same hashes as the Ceilometer monitor's converter would" do
    service.add_events([panko_event("w1", "2026-01-01T00:00:00.000000",
                                    :traits => {"_context_user_id" => "u1", "tenant_id" => "t1"})])
    event = drain(OpenstackHTTPEventMonitor.new(options(provider))).first
    row = panko_event("w1", "2026-01-01T00:00:00.000000", :traits => {"_context_user_id" => "u1", "tenant_id" => "t1"})
    ceilometer_style = OpenstackEvent.new(
      {"message_id" => row["message_id"], "event_type" => row["event_type"], "timestamp" => row["generated"],
       "payload" => row["traits"].to_h { |t| [t["name"], t["value"]] }},
      {:user_id => nil, :priority => nil, :content_type => nil}
    )
    expect(ManageIQWorker.queue_event(event)).to eq(ManageIQWorker.queue_event(ceilometer_style))
  end

  describe "security_protocol over HTTPS with a CA made here" do
    before(:all) do
      @ca = TestCA.new
      @tls = Lookalike.start(:tls => @ca.server)
    end

    after(:all) do
      @tls&.stop
      @ca&.cleanup
    end

    def tls_provider(protocol)
      provider(:port => URI(@tls.url).port, :security_protocol => protocol)
    end

    it "ssl-with-validation refuses a certificate it cannot verify" do
      expect { OpenstackHTTPEventMonitor.verify!(options(tls_provider("ssl-with-validation"))) }
        .to raise_error(OpenstackHTTPEventMonitor::SSLError, /certificate|TLS/i)
    end

    it "ssl-with-validation verifies against a configured CA" do
      opts = options(tls_provider("ssl-with-validation"), :http => {:ca_file => @ca.path("ca.pem")})
      expect(OpenstackHTTPEventMonitor.verify!(opts)).to be(true)
      expect(log.string).not_to include("not verified")
    end

    ["ssl-no-validation", "ssl", nil].each do |protocol|
      it "#{protocol.inspect} talks https without verification, and warns" do
        expect(OpenstackHTTPEventMonitor.verify!(options(tls_provider(protocol)))).to be(true)
        expect(log.string.scan("TLS certificates are not verified").size).to eq(1)
      end
    end

    it "non-ssl talks plain http, which an https service does not answer" do
      expect(OpenstackHTTPEventMonitor.available?(options(tls_provider("non-ssl")))).to be(false)
    end
  end
end
