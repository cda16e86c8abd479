# frozen_string_literal: true

# The version is read, not required: requiring version.rb here would define
# OpenstackHTTPEventMonitor (with the wrong superclass) in every process that
# evaluates this gemspec, such as ManageIQ's under Bundler.
version = File.read(File.expand_path("lib/openstack_http_event_monitor/version.rb", __dir__))[/VERSION = "([^"]+)"/, 1]

Gem::Specification.new do |spec|
  spec.name = "openstack_http_event_monitor"
  spec.version = version
  spec.authors = ["openstack_http_event_monitor developers"]
  spec.summary = "ManageIQ OpenStack event monitor for HTTP event services (Panko, Ceilometer, JSON APIs, " \
                 "CloudEvents push) with a Rust core"
  spec.description = <<~TEXT
    OpenstackHTTPEventMonitor is an event monitor plugin for ManageIQ's
    OpenStack provider (event stream "HTTP"). It polls OpenStack Panko's v2
    events API, Ceilometer's v2 API or any JSON event API, or receives what
    Ceilometer's http publisher or a CloudEvents sender POSTs, and hands
    ManageIQ batches of OpenstackEvent, each event once. Polling, paging,
    de-duplication, Keystone authentication and parsing run in Rust without
    holding Ruby's GVL while they wait. Includes the openstack-http-events
    command (check, tail, record, listen).
  TEXT
  spec.license = "Apache-2.0"
  spec.required_ruby_version = ">= 3.1"

  spec.files = Dir[
    "lib/**/*.rb", "exe/*", "ext/**/*.{rs,rb,toml}", "lookalike/**/*.{rs,toml}",
    "Cargo.toml", "Cargo.lock", "README.md", "CHANGELOG.md", "LICENSE", "config/settings.yml",
    "spec/fixtures/keystone/*"
  ]
  spec.bindir = "exe"
  spec.executables = ["openstack-http-events"]
  spec.require_paths = ["lib"]
  spec.extensions = ["ext/openstack_http_event_monitor/extconf.rb"]
  spec.metadata["rubygems_mfa_required"] = "true"
end
