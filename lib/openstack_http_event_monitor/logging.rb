# frozen_string_literal: true

class OpenstackHTTPEventMonitor
  # Logs through ManageIQ's `$log` when it is set, else through the
  # `options[:logger]` given to the monitor, else not at all. Always called
  # on a Ruby thread holding the GVL.
  module Logging
    PREFIX = "MIQ(OpenstackHTTPEventMonitor)"

    module_function

    # @param logger [Logger, nil] the fallback logger
    # @param level [Symbol] :debug, :info, :warn or :error
    def log(logger, level, message)
      target = (defined?($log) && $log) || logger
      target&.public_send(level, "#{PREFIX} #{message}")
    end
  end
end
