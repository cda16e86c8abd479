# frozen_string_literal: true

# What ManageIQ's OpenStack event catcher does with a caught event, restated
# from its contract for the specs: the payload's `_context_` keys go to the
# context, the rest is the content, and the metadata gives user_id,
# priority and content_type.
module ManageIQWorker
  module_function

  def queue_event(event)
    content = event.payload
    {
      :content      => content.reject { |k, _| k.start_with?("_context_") },
      :context      => content.select { |k, _| k.start_with?("_context_") },
      :user_id      => event.metadata[:user_id],
      :priority     => event.metadata[:priority],
      :content_type => event.metadata[:content_type]
    }
  end
end
