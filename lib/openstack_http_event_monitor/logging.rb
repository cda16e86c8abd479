# frozen_string_literal: true

class OpenstackHTTPEventMonitor
  # Logs through ManageIQ's `$log` when it is set, else through the
  # `options[:logger]` given to the monitor, else not at all. Always called
  # on a Ruby thread holding the GVL.
  module Logging
    PREFIX = "MIQ(OpenstackHTTPEventMonitor)"

    # A log message (a String to every logger) that also carries the time
    # the core wrote it: the core's records reach Ruby's logger a little
    # later, when Ruby has the GVL again. A formatter may print {#at}
    # instead of the time it is called (the CLI's does).
    class StampedMessage < String
      # @return [Time, nil] when the core wrote the record
      attr_reader :at

      def initialize(text, at)
        super(text)
        @at = at
      end
    end

    module_function

    # @param logger [Logger, nil] the fallback logger
    # @param level [Symbol] :debug, :info, :warn or :error
    # @param at [Time, nil] when it happened (the core's records)
    def log(logger, level, message, at = nil)
      target = (defined?($log) && $log) || logger
      return if target.nil?

      text = "#{PREFIX} #{message}"
      target.public_send(level, at ? StampedMessage.new(text, at) : text)
    end
  end
end
