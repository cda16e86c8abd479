# frozen_string_literal: true

require "spec_helper"
require "tmpdir"
require_relative "support/manageiq/openstack_provider"

# The "HTTP" event stream in ManageIQ's OpenStack provider form, end to end:
# the schema the form renders, its Validate, the create and edit paths with
# what the form submits, the stored endpoint, authentication and options,
# event_monitor_options, and ManageIQ's event catcher draining events through
# OpenstackEventMonitor.new — on ActiveRecord and SQLite, against the
# look-alike.
RSpec.describe "The HTTP event stream in ManageIQ's provider form" do
  with_lookalike

  let(:cloud) { ManageIQ::Providers::Openstack::CloudManager }
  let(:infra) { ManageIQ::Providers::Openstack::InfraManager }

  before(:all) do
    ManageIQFixture.connect!
    @installed = OpenstackHTTPEventMonitor.install_manageiq!
  end
  after(:all) { ManageIQFixture.disconnect! }

  before do
    OpenstackEventMonitor.clear_caches
    [Endpoint, Authentication, ExtManagementSystem].each(&:delete_all)
    service.configure(:auth => "keystone")
  end

  let(:port) { URI(service.url).port }

  # What the form submits for the provider itself and its default endpoint.
  def default_fields
    {"endpoints"       => {"default" => {"hostname" => "127.0.0.1", "port" => port, "security_protocol" => "non-ssl"}},
     "authentications" => {"default" => {"userid" => "admin", "password" => ManageIQ::Password.encrypt("secret")}}}
  end

  # The form's values with HTTP chosen: `http_events` settings, http
  # endpoint and authentication fields.
  def form(settings, endpoint = {}, auth = nil, **top)
    values = default_fields
    values["endpoints"]["http"] = endpoint
    values["authentications"]["http"] = auth if auth
    {"name" => "overcloud", "api_version" => "v3", "uid_ems" => "default", "event_stream_selection" => "http",
     "options" => {"http_events" => settings}}.merge(values).merge(top.transform_keys(&:to_s))
  end

  # ManageIQ's create path: the form's values split into params, endpoint
  # and authentication lists.
  def create(values)
    params = values.reject { |k, _| %w[endpoints authentications].include?(k) }
    endpoints = values["endpoints"].map { |role, e| e.merge("role" => role) }
    auths = values["authentications"].map { |type, a| a.merge("authtype" => type) }
    cloud.create_from_params(params, endpoints, auths)
  end

  def edit(ems, values)
    params = values.reject { |k, _| %w[endpoints authentications event_stream_selection].include?(k) }
    endpoints = values["endpoints"].map { |role, e| e.merge("role" => role) }
    auths = values["authentications"].map { |type, a| a.merge("authtype" => type) }
    ems.edit_with_params(params, endpoints, auths)
  end

  # ManageIQ's event catcher for `ems`: its monitor, drained.
  def catch_events(ems, worker_settings = {})
    runner = ManageIQ::Providers::Openstack::EventCatcherRunner.new(ems, worker_settings)
    monitor = runner.event_monitor_handle
    expect(monitor).to be_a(OpenstackHTTPEventMonitor)
    drain(monitor)
  end

  def find_field(fields, name)
    fields.each do |f|
      next unless f.is_a?(Hash)
      return f if f[:name] == name

      found = f[:fields].is_a?(Array) && find_field(f[:fields], name)
      return found if found
    end
    nil
  end

  describe "install_manageiq!" do
    it "patches the provider classes once, however often it runs" do
      expect(@installed).to be(true)
      expect(OpenstackHTTPEventMonitor.install_manageiq!).to be(true)
      expect(cloud.ancestors.count(OpenstackHTTPEventMonitor::ManagerPatches::InstanceMethods)).to eq(1)
      expect(cloud.singleton_class.ancestors.count(OpenstackHTTPEventMonitor::ManagerPatches::ClassMethods)).to eq(1)
      expect(ManageIQ::Providers::Openstack::ManagerMixin.ancestors
        .count(OpenstackHTTPEventMonitor::ManagerPatches::EventMonitorOptions)).to eq(1)
      expect(OpenstackHTTPEventMonitor.manageiq_installed?).to be(true)
    end
  end

  describe "the form schema" do
    it "cloud: HTTP is the last choice of the event stream selector inside the default credentials' validator, " \
       "with its sub-form beside it" do
      schema = cloud.params_for_create
      validator = find_field(schema[:fields], "authentications.default.valid")
      events_tab = find_field(validator[:fields], "events-tab")
      selector = events_tab[:fields].first
      expect(selector[:options].map { |o| o[:value] }).to eq(%w[none ceilometer stf amqp http])
      expect(selector[:options].last).to include(:pivot => "endpoints.http.hostname")
      subform = events_tab[:fields].find { |f| f[:name] == "endpoints.http.valid" }
      expect(subform).to include(:component => "sub-form", :condition => {:when => "event_stream_selection", :is => "http"},
                                 :validationDependencies => %w[type event_stream_selection])
      names = subform[:fields].map { |f| f[:name] }
      expect(names).to include("options.http_events.mode", "options.http_events.source", "endpoints.http.url",
                               "options.http_events.auth_type", "authentications.http.userid",
                               "authentications.http.password", "authentications.http.auth_key",
                               "endpoints.http.verify_ssl", "endpoints.http.certificate_authority",
                               "options.http_events.json", "endpoints.http.hostname", "endpoints.http.port",
                               "endpoints.http.path")
      expect(names.grep(/\A(endpoints|authentications)\./).map { |n| n.split(".")[1] }.uniq).to eq(["http"])
      expect(subform[:fields].find { |f| f[:name] == "endpoints.http.url" }[:condition])
        .to eq(:when => "options.http_events.mode", :is => "url")
      # the form asks for it once: a second call does not add it again
      expect(find_field(cloud.params_for_create[:fields], "event_stream_selection")[:options].count { |o| o[:value] == "http" })
        .to eq(1)
    end

    it "infra: HTTP joins Ceilometer and AMQP in the events tab, with its own Validate like AMQP's" do
      events_tab = find_field(infra.params_for_create[:fields], "events-tab")
      expect(events_tab[:component]).to eq("tab-item")
      expect(events_tab[:fields].first[:options].map { |o| o[:value] }).to eq(%w[ceilometer amqp http])
      subform = events_tab[:fields].find { |f| f[:name] == "endpoints.http.valid" }
      expect(subform).to include(:component => "validate-provider-credentials", :skipSubmit => true)
      expect(subform[:validationDependencies]).to include("event_stream_selection", "authentications.default.userid")
    end
  end

  describe "Validate" do
    it "polls a URL with basic auth: right password true, wrong one ManageIQ's invalid-credentials error" do
      service.configure(:auth => "basic", :basic_username => "events", :basic_password => "pw")
      good = form({"mode" => "url", "source" => "panko", "auth_type" => "basic"}, {"url" => service.url},
                  {"userid" => "events", "password" => ManageIQ::Password.encrypt("pw")})
      expect(cloud.verify_credentials(good)).to be(true)
      bad = form({"mode" => "url", "auth_type" => "basic"}, {"url" => service.url}, {"userid" => "events", "password" => "no"})
      expect { cloud.verify_credentials(bad) }.to raise_error(MiqException::MiqInvalidCredentialsError)
    end

    it "checks the default credentials too, as ManageIQ does" do
      values = form({"mode" => "url", "auth_type" => "none"}, {"url" => service.url})
      values["authentications"]["default"]["password"] = "wrong"
      expect { cloud.verify_credentials(values) }.to raise_error(MiqException::MiqInvalidCredentialsError, /Login failed/)
    end

    it "from the Keystone catalog with the default credentials; a wrong password is ManageIQ's error" do
      expect(cloud.verify_credentials(form({"mode" => "catalog"}))).to be(true)
      expect(service.requests.map { |r| r["path"] }).to include("/v3/auth/tokens", "/v2/events")
      values = form({"mode" => "catalog"})
      values["authentications"]["default"]["password"] = "wrong"
      expect { infra.verify_credentials(values) }.to raise_error(MiqException::MiqInvalidCredentialsError)
      # infra's own Validate sends the Default tab's fields along; without them there is no catalog to read
      without = form({"mode" => "catalog"}).merge("endpoints" => {"http" => {}})
      expect { infra.verify_credentials(without) }
        .to raise_error(OpenstackHTTPEventMonitor::ConfigurationError, /options\.http_events\.mode.*Default endpoint/)
    end

    it "names the form field that is wrong" do
      expect { cloud.verify_credentials(form({"mode" => "url"}, {"url" => "panko:8977"})) }
        .to raise_error(OpenstackHTTPEventMonitor::ConfigurationError, /endpoints\.http\.url/)
      expect { cloud.verify_credentials(form({"mode" => "url", "source" => "json", "json" => "{oops"}, {"url" => service.url})) }
        .to raise_error(OpenstackHTTPEventMonitor::ConfigurationError, /options\.http_events\.json/)
      expect { cloud.verify_credentials(form({"mode" => "push"}, {"port" => "99999"}, {"userid" => "c", "password" => "p"})) }
        .to raise_error(OpenstackHTTPEventMonitor::ConfigurationError, /endpoints\.http\.port/)
      expect { cloud.verify_credentials(form({"mode" => "sideways"})) }
        .to raise_error(OpenstackHTTPEventMonitor::ConfigurationError, /options\.http_events\.mode.*catalog, url, push/)
    end
  end

  describe "saving and catching events" do
    it "a URL stream: stored as endpoint, authentication and options; the event catcher drains it through " \
       "OpenstackEventMonitor.new" do
      service.configure(:auth => "token", :token => "tok-123")
      service.add_events([panko_event("e1", "2026-01-01T00:00:00.000000"), panko_event("e2", "2026-01-01T00:00:01.000000")])
      ems = create(form({"mode" => "url", "source" => "panko", "auth_type" => "token"},
                        {"url" => service.url, "verify_ssl" => 1, "port" => "999", "path" => "/stale"}, {"auth_key" => "tok-123"}))
      ems.reload
      endpoint = ems.endpoints.find_by(:role => "http")
      expect(endpoint.attributes.slice("url", "hostname", "port", "path", "verify_ssl"))
        .to eq("url" => service.url, "hostname" => "127.0.0.1", "port" => nil, "path" => nil, "verify_ssl" => 1)
      expect(ems.authentications.find_by(:authtype => "http")).to have_attributes(:auth_key => "tok-123", :type => "AuthToken")
      expect(ems.options).to eq("http_events" => {"mode" => "url", "source" => "panko", "auth_type" => "token"})
      expect(ems.event_monitor_options).to include(:ems => ems, :events_monitor => :http, :hostname => "127.0.0.1",
                                                   :port => port)
      expect(ems.supported_auth_types).to include("default", "http")
      expect(ems.events_endpoint).to eq(endpoint)
      expect(ems.auth_type_for_events).to eq("http")
      expect(ids(catch_events(ems))).to eq(%w[e1 e2])
      expect(service.requests.last["headers"]).to include("x-auth-token")
    end

    it "the periodic credential check verifies the stream and records the events capability; ManageIQ's own " \
       "check of the default credentials goes on" do
      service.configure(:auth => "basic", :basic_username => "events", :basic_password => "pw")
      ems = create(form({"mode" => "url", "auth_type" => "basic"}, {"url" => service.url}, {"userid" => "events", "password" => "pw"}))
      expect(ems.authentication_check_types).to eq("default" => "Valid", "http" => "Valid")
      expect(ems.reload.capabilities).to eq("events" => true)
      ems.authentication_type("http").update!(:password => "changed")
      ems.instance_variable_set(:@event_monitor_options, nil)
      OpenstackEventMonitor.clear_caches
      expect(ems.authentication_check_types["http"]).to match(/\AError: .*401|credentials/i)
    end

    it "the Keystone catalog with Ceilometer's API: only the default credentials are stored; events come through them" do
      service.configure(:dialect => "ceilometer", :catalog => %w[identity metering])
      service.add_events([panko_event("c1", "2026-01-01T00:00:00.000000")])
      ems = create(form({"mode" => "catalog", "source" => "ceilometer"}, {"url" => "http://stale.example"},
                        {"userid" => "stale", "password" => "x"}))
      ems.reload
      expect(ems.endpoints.find_by(:role => "http").attributes.slice("hostname", "url"))
        .to eq("hostname" => "127.0.0.1", "url" => nil)
      expect(ems.authentications.map(&:authtype)).to eq(["default"])
      expect(ems.auth_type_for_events).to eq("default")
      expect(ems.verify_credentials("default")).to be(true)
      expect(ems.reload.capabilities).to eq("events" => true)
      expect(ids(catch_events(ems, :ceilometer => {:event_types_regex => '\Acompute'}))).to eq(%w[c1])
      expect(event_requests.last["params"].map(&:first)).not_to include("marker")
    end

    it "push: the event catcher receives what the publisher POSTs, with the worker's :http settings" do
      saved = ENV.fetch("XDG_STATE_HOME", nil)
      Dir.mktmpdir do |state|
        ENV["XDG_STATE_HOME"] = state # the default spool directory's base
        listen = free_port
        ems = create(form({"mode" => "push"}, {"hostname" => "127.0.0.1", "port" => listen.to_s, "path" => "/ceilometer"},
                          {"userid" => "ceilometer", "password" => "pub-secret"}))
        expect(ems.reload.endpoints.find_by(:role => "http").attributes.slice("hostname", "port", "path", "url"))
          .to eq("hostname" => "127.0.0.1", "port" => listen, "path" => "/ceilometer", "url" => nil)
        worker = {:http => {:page_size => 100, :poll_interval => 1.0, :read_timeout => 60}}
        monitor = ManageIQ::Providers::Openstack::EventCatcherRunner.new(ems, worker).event_monitor_handle
        expect(monitor).to be_a(OpenstackHTTPEventMonitor)
        expect(ems.event_monitor_options[:http]).to eq(worker[:http])
        monitor.start
        expect(Dir.exist?(File.join(state, "openstack_http_event_monitor", listen.to_s))).to be(true)
        body = JSON.generate([{"message_id" => "p1", "event_type" => "compute.instance.create.end",
                               "generated" => "2026-01-01T00:00:00", "traits" => [["project_id", 1, "abc"]]}])
        post = lambda do |password|
          request = Net::HTTP::Post.new("/ceilometer", "Content-Type" => "application/json")
          request.basic_auth("ceilometer", password)
          request.body = body
          Net::HTTP.start("127.0.0.1", listen) { |h| h.request(request) }.code
        end
        expect(post.call("wrong")).to eq("401")
        expect(post.call("pub-secret")).to eq("200")
        expect(ids(receive_events(monitor, 1))).to eq(%w[p1])
      ensure
        monitor&.stop
        ENV["XDG_STATE_HOME"] = saved
      end
    end

    it "push: the network manager's catcher listens on the next port" do
      ems = create(form({"mode" => "push"}, {"port" => "9100"}, {"userid" => "c", "password" => "p"}))
      network = ManageIQ::Providers::Openstack::NetworkManager.create!(:name => "net", :parent_manager => ems)
      http = OpenstackHTTPEventMonitor::Provider.http_options(:ems => network)
      expect(http["source"]).to include("listen" => "0.0.0.0:9101", "path" => "/events", "type" => "push")
      expect(network.event_monitor_options).to include(:events_monitor => :http, :port => 9101)
      expect(ems.event_monitor_options).to include(:port => 9100)
    end

    it "editing: a password left out keeps the stored one; choosing Ceilometer removes the HTTP stream whole" do
      ems = create(form({"mode" => "url", "auth_type" => "basic"}, {"url" => service.url}, {"userid" => "events", "password" => "pw"}))
      edit(ems, form({"mode" => "url", "auth_type" => "basic"}, {"url" => service.url}, {"userid" => "events"}))
      expect(ems.reload.authentication_password("http")).to eq("pw")

      values = default_fields.merge("name" => "overcloud", "options" => {})
      values["endpoints"]["ceilometer"] = {"hostname" => "127.0.0.1"}
      edit(ems, values)
      ems.reload
      expect(ems.endpoints.map(&:role).sort).to eq(%w[ceilometer default])
      expect(ems.authentications.map(&:authtype)).to eq(["default"])
      expect(ems.options).to eq({})
      expect(ems.event_monitor_options[:events_monitor]).to eq(:ceilometer)
      expect(ems.supported_auth_types).to include("http")
    end

    it "refuses to save a stream that cannot work, naming the field, and stores nothing" do
      expect { create(form({"mode" => "push"}, {"port" => "8780"}, {"userid" => "c"})) }
        .to raise_error(OpenstackHTTPEventMonitor::ConfigurationError, /authentications\.http\.password/)
      expect(ExtManagementSystem.count).to eq(0)
    end
  end
end
