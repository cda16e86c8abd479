# frozen_string_literal: true

require "spec_helper"
require "open3"
require "rbconfig"

# The plugin inside ManageIQ's OpenstackEventMonitor machinery, in both load
# orders. Each order runs in a fresh Ruby process: constants are global.
RSpec.describe "ManageIQ plugin registration" do
  with_lookalike

  SCRIPT = <<~'RUBY'
    require "json"
    stand_in = File.join(ENV.fetch("SPEC_DIR"), "support/manageiq/openstack_event_monitor.rb")
    if ARGV[0] == "gem_first"
      require "openstack_http_event_monitor"
      require stand_in
    else
      require stand_in
      require "openstack_http_event_monitor"
    end
    OpenstackHTTPEventMonitor.register! # idempotent: a second call changes nothing

    good = {:events_monitor => :http, :hostname => "cloud", :port => 5000, :username => "admin", :password => "secret",
            :http => {:auth => {:type => :keystone, :url => ENV.fetch("KEYSTONE"), :username => "admin",
                                :password => "secret"}, :poll_interval => 0.1}}
    bad = good.merge(:hostname => "other", :http => good[:http].merge(:auth => good[:http][:auth].merge(:password => "wrong")))
    first = OpenstackEventMonitor.new(good)
    events = []
    first.start
    first.each_batch { |batch| events.concat(batch); first.stop }
    puts JSON.generate(
      "superclass"  => OpenstackHTTPEventMonitor.superclass.name,
      "ancestors"   => OpenstackHTTPEventMonitor.ancestors.include?(OpenstackEventMonitor),
      "subclasses"  => OpenstackEventMonitor.subclasses.map(&:name),
      "selected"    => %i[http ceilometer amqp].to_h { |m| [m, OpenstackEventMonitor.event_monitor_selected_class(:events_monitor => m).name] },
      "instance"    => first.class.name,
      "cached"      => first.equal?(OpenstackEventMonitor.new(good)),
      "unavailable" => OpenstackEventMonitor.new(bad).class.name,
      "event_class" => events.map { |e| e.class.name }.uniq,
      "metadata"    => events.first&.metadata,
      "selection_prepended" => OpenstackEventMonitor.singleton_class.ancestors.count(OpenstackHTTPEventMonitor::Selection)
    )
  RUBY

  def facts(order)
    service.add_events([panko_event("m1", "2026-01-01T00:00:00.000000")])
    lib = File.expand_path("../lib", __dir__)
    env = {"SPEC_DIR" => __dir__, "KEYSTONE" => service.keystone_url}
    out, err, status = Open3.capture3(env, RbConfig.ruby, "-I", lib, "-e", SCRIPT, order)
    raise "#{order} failed: #{err}" unless status.success?

    JSON.parse(out.lines.last)
  end

  %w[gem_first manageiq_first].each do |order|
    context "when loaded #{order.tr("_", " ")}" do
      let(:result) { facts(order) }

      it "is a subclass of OpenstackEventMonitor listed among its plugins by priority" do
        expect(result["superclass"]).to eq("OpenstackEventMonitor")
        expect(result["subclasses"]).to include("OpenstackHTTPEventMonitor")
        expect(result["subclasses"].last).to eq("OpenstackNullEventMonitor")
        expect(result["subclasses"].index("OpenstackHTTPEventMonitor")).to be < result["subclasses"].index("OpenstackNullEventMonitor")
      end

      it "is selected for :http and leaves every other choice to ManageIQ" do
        expect(result["selected"]).to eq("http" => "OpenstackHTTPEventMonitor",
                                         "ceilometer" => "OpenstackCeilometerEventMonitor",
                                         "amqp" => "OpenstackNullEventMonitor")
        expect(result["selection_prepended"]).to eq(1)
      end

      it "is what OpenstackEventMonitor.new returns, cached, with the null monitor when unavailable" do
        expect(result["instance"]).to eq("OpenstackHTTPEventMonitor")
        expect(result["cached"]).to be(true)
        expect(result["unavailable"]).to eq("OpenstackNullEventMonitor")
      end

      it "yields ManageIQ's OpenstackEvent with ManageIQ's metadata" do
        expect(result["event_class"]).to eq(["OpenstackEvent"])
        expect(result["metadata"]).to eq("user_id" => nil, "priority" => nil, "content_type" => nil)
      end
    end
  end

  it "does not require ManageIQ files when loaded alone, and works standalone" do
    lib = File.expand_path("../lib", __dir__)
    script = 'require "openstack_http_event_monitor"; ' \
             'puts [OpenstackEventMonitor.instance_methods(false).sort.inspect, ' \
             '$LOADED_FEATURES.grep(%r{manageiq/providers|legacy/}).inspect].join(" ")'
    out, err, status = Open3.capture3(RbConfig.ruby, "-I", lib, "-e", script)
    expect(status.success?).to be(true), err
    expect(out.strip).to eq("[] []")
  end
end
