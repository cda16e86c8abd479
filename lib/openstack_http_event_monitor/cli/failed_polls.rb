# frozen_string_literal: true

class OpenstackHTTPEventMonitor
  class CLI
    # Counts polls that failed in a row (the monitor retries them, yielding
    # an empty batch each time): `failed?` once `limit` have.
    class FailedPolls
      # @param monitor [OpenstackHTTPEventMonitor]
      # @param limit [Integer] failed polls in a row that make {#failed?} true
      def initialize(monitor, limit)
        @monitor = monitor
        @limit = limit
        @seen = monitor.stats[:errors].to_i
        @in_a_row = 0
      end

      # Call once per batch; true when the last `limit` polls all failed.
      # @return [Boolean]
      def failed?
        errors = @monitor.stats[:errors].to_i
        @in_a_row = errors > @seen ? @in_a_row + 1 : 0
        @seen = errors
        @in_a_row >= @limit
      end

      # What the CLI says when it gives up.
      # @return [String]
      def message
        "gave up after #{@in_a_row} failed polls in a row: #{@monitor.stats[:last_error]}"
      end
    end
    private_constant :FailedPolls
  end
end
