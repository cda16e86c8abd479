# frozen_string_literal: true

require "spec_helper"
require "open3"
require "rbconfig"
require "tmpdir"

# Inside a Rails app the gem is a ManageIQ plugin (an engine that answers
# `vmdb_plugin?`, with its settings.yml) and installs itself into the
# provider classes on every to_prepare. A fresh Ruby process: Rails and the
# provider constants are global.
RSpec.describe "The gem's Rails engine" do
  boot_script = <<~'RUBY'
    require "json"
    require "logger"
    require "rails"
    require "openstack_http_event_monitor"
    require File.join(ENV.fetch("SPEC_DIR"), "support/manageiq/openstack_provider")

    class SpecApp < Rails::Application
      config.eager_load = false
      config.logger = Logger.new(nil)
      config.secret_key_base = "spec"
      config.root = ENV.fetch("APP_ROOT")
    end
    before = OpenstackHTTPEventMonitor.manageiq_installed?
    SpecApp.initialize!
    after_boot = OpenstackHTTPEventMonitor.manageiq_installed?
    SpecApp.reloader.prepare! # what a code reload runs again
    engine = OpenstackHTTPEventMonitor::Engine
    settings = YAML.load_file(engine.root.join("config", "settings.yml"), :permitted_classes => [Symbol])
    puts JSON.generate(
      "before"    => before,
      "installed" => after_boot,
      "plugins"   => Rails::Engine.subclasses.select { |e| e.respond_to?(:vmdb_plugin?) && e.vmdb_plugin? }.map(&:name),
      "root"      => engine.root.to_s,
      "patched"   => ManageIQ::Providers::Openstack::CloudManager.ancestors
                       .count(OpenstackHTTPEventMonitor::ManagerPatches::InstanceMethods),
      "http"      => settings.dig(:workers, :worker_base, :event_catcher, :event_catcher_openstack, :http)
    )
  RUBY

  it "is a ManageIQ plugin that installs the provider patches at boot, once however often it prepares" do
    lib = File.expand_path("../lib", __dir__)
    Dir.mktmpdir do |app_root|
      env = {"SPEC_DIR" => __dir__, "APP_ROOT" => app_root}
      out, err, status = Open3.capture3(env, RbConfig.ruby, "-I", lib, "-e", boot_script)
      expect(status.success?).to be(true), err
      facts = JSON.parse(out.lines.last)
      expect(facts).to include("before" => false, "installed" => true, "patched" => 1,
                               "plugins" => ["OpenstackHTTPEventMonitor::Engine"],
                               "root" => File.expand_path("..", __dir__))
      expect(facts["http"]).to include("page_size" => 100)
    end
  end

  it "is not defined, and nothing is patched, without Rails" do
    script = 'require "openstack_http_event_monitor"; ' \
             'p [defined?(OpenstackHTTPEventMonitor::Engine), OpenstackHTTPEventMonitor.install_manageiq!]'
    out, err, status = Open3.capture3(RbConfig.ruby, "-I", File.expand_path("../lib", __dir__), "-e", script)
    expect([out, status.success?]).to eq(["[nil, false]\n", true]), err
  end
end
