# frozen_string_literal: true

class OpenstackHTTPEventMonitor
  class CLI
    # `--progress SECONDS`: a status line on stderr every SECONDS while
    # `tail` or `listen` runs: events delivered a second since the last
    # line, polls, retries, events filtered out (by --type-regex in the
    # monitor, by --type and --event-project in the CLI), back-read
    # duplicates dropped and events printed. The first time duplicates
    # show, one line says what they are.
    class Progress
      # @param monitor [OpenstackHTTPEventMonitor]
      # @param every [Float] seconds between lines
      # @param io [IO] where the lines go
      # @param backread [Numeric, nil] the back-read window in seconds; nil:
      #   no back-read (a receiver), no explanation of duplicates
      def initialize(monitor, every, io, backread: nil)
        @monitor = monitor
        @every = every
        @io = io
        @backread = backread
        @last_at = now
        @last_events = 0
        @explained = false
      end

      # Prints a status line when `every` seconds have passed since the last.
      # @param printed [Integer] events printed so far
      # @param not_matched [Integer] events the CLI's filters left out so far
      # @return [void]
      def tick(printed, not_matched)
        at = now
        return if at - @last_at < @every

        stats = @monitor.stats
        events = stats[:events].to_i
        rate = (events - @last_events) / (at - @last_at)
        @last_at = at
        @last_events = events
        dropped = stats[:duplicates_dropped].to_i
        @io.puts(format("status: %.1f events/s polls=%d retries=%d filtered=%d duplicates_dropped=%d printed=%d",
                        rate, stats[:polls].to_i, stats[:retries].to_i, stats[:filtered].to_i + not_matched,
                        dropped, printed))
        explain if dropped.positive?
      end

      private

      def explain
        return if @explained || @backread.nil?

        @explained = true
        @io.puts("        (duplicates_dropped: each poll re-reads the last #{format("%g", @backread)} s so events committed late are " \
                 "not missed, and drops the ones it already delivered)")
      end

      def now
        Process.clock_gettime(Process::CLOCK_MONOTONIC)
      end
    end
  end
end
