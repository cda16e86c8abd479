# frozen_string_literal: true

require "json"
require "logger"
require "stringio"
require "timeout"
require "openstack_http_event_monitor"
require_relative "support/lookalike"
require_relative "support/monitor_helpers"
require_relative "support/json_source_helpers"
require_relative "support/push_helpers"
require_relative "support/watchdog"

RSpec.configure do |config|
  config.disable_monkey_patching!
  config.order = :defined
  config.include MonitorHelpers
  config.include JsonSourceHelpers
  config.include PushHelpers

  config.expect_with :rspec do |c|
    c.syntax = :expect
  end

  # No example may hang the suite, nor a process it started.
  config.around do |example|
    Watchdog.run(example.metadata.fetch(:timeout, 90)) { example.run }
  end
end
