# frozen_string_literal: true

require "json"

class OpenstackHTTPEventMonitor
  class CLI
    # How `tail` and `listen` print events, as the OpenStack client does
    # with `-f json|table|value` and `--fields`:
    #
    # - json: one JSON object a line; the whole event unless fields are given
    # - table: one aligned line per event under a header line
    # - value: the field values separated by single spaces
    #
    # A field is a key of the event (message_id, event_type, timestamp,
    # payload), `project` (the payload's project_id or tenant_id),
    # `resource` (its resource_id, instance_id or first other *_id), or else
    # a key of the event's payload. Missing values print as "-" in table and
    # value. ANSI colour only when asked for (the CLI asks when stdout is a
    # terminal and NO_COLOR is not set).
    class Output
      # The formats -f/--format takes.
      FORMATS = %w[json table value].freeze

      # The fields table and value print unless --fields says otherwise.
      DEFAULT_FIELDS = %w[timestamp event_type project resource].freeze

      # Column widths for the table (longer values push the line on).
      WIDTHS = {"timestamp" => 26, "event_type" => 32, "project" => 32, "resource" => 36, "message_id" => 32}.freeze

      # Width of any other table column.
      OTHER_WIDTH = 20

      # *_id keys that name who or what asked, not the resource.
      NOT_RESOURCES = %w[project_id tenant_id user_id request_id].freeze

      COLORS = {:dim => "2", :bold => "1", :red => "31", :green => "32", :yellow => "33", :magenta => "35",
                :cyan => "36"}.freeze
      private_constant :COLORS

      # @param format [String] one of {FORMATS}
      # @param fields [Array<String>, nil] the fields to print; nil: the
      #   whole event (json) or {DEFAULT_FIELDS}
      # @param color [Boolean] whether to colour table and value lines
      # @raise [ArgumentError] for an unknown format or an empty field list
      def initialize(format: "json", fields: nil, color: false)
        raise ArgumentError, "#{format.inspect} is not one of #{FORMATS.join(", ")}" unless FORMATS.include?(format)
        raise ArgumentError, "needs at least one field" if fields && fields.empty?

        @format = format
        @fields = fields || (format == "json" ? nil : DEFAULT_FIELDS)
        @color = color
        @header_done = false
      end

      # The lines to print for one event (a table's first event also gets
      # the header line).
      # @param event [Hash{String => Object}] "message_id", "event_type", "timestamp", "payload"
      # @return [Array<String>] lines without newlines
      def lines(event)
        case @format
        when "json" then [JSON.generate(@fields ? @fields.to_h { |f| [f, self.class.field(event, f)] } : event)]
        when "value" then [@fields.map { |f| paint(text(self.class.field(event, f)), f, event) }.join(" ")]
        else
          rows = []
          unless @header_done
            rows << row(@fields.map(&:upcase), nil)
            @header_done = true
          end
          rows << row(@fields.map { |f| text(self.class.field(event, f)) }, event)
        end
      end

      # One field of an event (see the class comment); nil when it has none.
      # @param event [Hash{String => Object}]
      # @param name [String]
      # @return [Object, nil]
      def self.field(event, name)
        payload = event["payload"].is_a?(Hash) ? event["payload"] : {}
        case name
        when "project" then project(payload)
        when "resource" then resource(payload)
        else event.key?(name) ? event[name] : payload[name]
        end
      end

      # The payload's project: project_id, else tenant_id.
      # @param payload [Hash]
      # @return [Object, nil]
      def self.project(payload)
        present(payload["project_id"]) || present(payload["tenant_id"])
      end

      # The payload's resource: resource_id, else instance_id, else the
      # first other *_id that names neither a project, a user nor a request.
      # @param payload [Hash]
      # @return [Object, nil]
      def self.resource(payload)
        present(payload["resource_id"]) || present(payload["instance_id"]) ||
          payload.find { |k, v| k.end_with?("_id") && !NOT_RESOURCES.include?(k) && present(v) }&.last
      end

      # nil for nil and empty strings, else the value.
      def self.present(value)
        value.nil? || value == "" ? nil : value
      end
      private_class_method :present

      private

      def text(value)
        case value
        when nil, "" then "-"
        when String then value
        else JSON.generate(value)
        end
      end

      # Pads every column but the last to its width (on the plain text, so
      # colour does not break the alignment); `event` nil: the header.
      def row(values, event)
        last = values.size - 1
        values.each_with_index.map do |value, i|
          name = @fields[i]
          pad = i == last ? "" : " " * [WIDTHS.fetch(name, OTHER_WIDTH) - value.length, 0].max
          (event ? paint(value, name, event) : paint_header(value)) + pad
        end.join(" ")
      end

      def paint_header(text)
        @color ? "\e[#{COLORS[:bold]}m#{text}\e[0m" : text
      end

      def paint(text, field, event)
        return text unless @color

        code = case field
               when "timestamp" then :dim
               when "event_type" then type_color(event["event_type"].to_s)
               when "project" then :cyan
               end
        code ? "\e[#{COLORS[code]}m#{text}\e[0m" : text
      end

      def type_color(type)
        case type
        when /error|fail/ then :red
        when /delete/ then :magenta
        when /create/ then :green
        else :yellow
        end
      end
    end
  end
end
