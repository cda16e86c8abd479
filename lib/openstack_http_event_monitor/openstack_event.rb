# frozen_string_literal: true

# ManageIQ's event value object. When ManageIQ's own class is loaded this
# file leaves it alone; without ManageIQ it defines a compatible one, which
# ManageIQ's file can later reopen.
unless defined?(::OpenstackEvent)
  class OpenstackEvent
    # @return [Hash{String => Object}] "message_id", "event_type", "timestamp", "payload"
    attr_reader :payload
    # @return [Hash{Symbol => nil}] :user_id, :priority, :content_type
    attr_reader :metadata

    def initialize(payload, metadata)
      @payload = payload
      @metadata = metadata
    end
  end
end
