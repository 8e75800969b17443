//! Flash messages: one-shot notes shown at the top of the page after a redirect,
//! named by a code in a cookie.

/// A one-shot message shown at the top of the next page.
#[derive(Debug, Clone)]
pub struct Flash {
    /// `ok`, `error` or `info` (a CSS class suffix).
    pub kind: &'static str,
    pub message: String,
}

/// Flash messages are codes from this table, so a cookie can never inject text: the
/// only values a cookie adds are whole numbers (`code:30:15` fills `{0}` and `{1}`),
/// e.g. how many credits went back.
const FLASHES: &[(&str, &str, &str)] = &[
    (
        "welcome",
        "ok",
        "Welcome to mentorhub! Your account is ready.",
    ),
    ("signed_in", "ok", "You are signed in."),
    (
        "already_sent",
        "info",
        "That form had been sent already (you went back to it): here is what it did. Nothing was done twice.",
    ),
    ("signed_out", "info", "You are signed out."),
    ("profile_saved", "ok", "Your profile is saved."),
    (
        "confirmation_sent",
        "ok",
        "A link to confirm your email address is on its way: open it from your inbox (it works for 48 hours).",
    ),
    (
        "confirmation_too_soon",
        "info",
        "A confirmation link went to your address less than a minute ago: look for it in your inbox (or your spam folder).",
    ),
    ("email_confirmed", "ok", "Your email address is confirmed."),
    (
        "email_changed",
        "ok",
        "Your new email address is confirmed and is now the account's: sign in with it from now on.",
    ),
    (
        "email_change_sent",
        "ok",
        "A link is on its way to your new address: your address changes when you open it (it works for 48 hours). Until then, you keep signing in with this one.",
    ),
    (
        "password_changed",
        "ok",
        "Your password is changed. Your other sessions were signed out.",
    ),
    (
        "password_reset",
        "ok",
        "Your new password is saved and you are signed in. Every other session was signed out.",
    ),
    (
        "account_closed",
        "info",
        "Your account is closed and your personal data erased.",
    ),
    (
        "user_suspended",
        "ok",
        "The user is suspended and signed out everywhere.",
    ),
    (
        "user_suspended_ended",
        "ok",
        "The user is suspended and signed out everywhere. Cancelled, everyone told and refunded — coming bookings: {0}; group sessions they led: {1}.",
    ),
    ("user_unsuspended", "ok", "The suspension is lifted."),
    ("roles_saved", "ok", "The roles are saved."),
    (
        "conversation_archived",
        "ok",
        "The conversation is archived: it comes back here when someone writes in it.",
    ),
    (
        "conversation_unarchived",
        "ok",
        "The conversation is back in your inbox.",
    ),
    (
        "roles_need_application",
        "error",
        "Nothing changed: the mentor role comes with an approved mentor application (they apply from their settings; you approve it under Applications).",
    ),
    ("sign_in_first", "info", "Sign in to continue."),
    (
        "sign_in_members_article",
        "info",
        "This article is for members: sign in to read it.",
    ),
    (
        "sign_in_members_group",
        "info",
        "This group session is for members: sign in to see it and join.",
    ),
    (
        "sign_in_mentees_group",
        "info",
        "This group session is for its mentor's mentees: sign in to see it if you are one.",
    ),
    (
        "sign_in_mentees_article",
        "info",
        "This article is for its author's mentees: sign in to read it if you are one.",
    ),
    (
        "request_sent",
        "ok",
        "Your request is on its way. The mentor has 14 days to answer.",
    ),
    (
        "mentorship_accepted",
        "ok",
        "Request accepted. Say hello to your new mentee!",
    ),
    ("mentorship_declined", "info", "Request declined."),
    (
        "mentor_at_capacity",
        "error",
        "You already mentor as many people as you take: end a mentorship, or raise the number of mentees you take in your mentor profile, then accept.",
    ),
    ("mentorship_cancelled", "info", "Request withdrawn."),
    (
        "mentorship_ended",
        "info",
        "Mentorship ended. Sessions already booked are not cancelled.",
    ),
    (
        "application_filed",
        "ok",
        "Your mentor application is filed. An admin will review it soon.",
    ),
    (
        "mentor_profile_first",
        "info",
        "Fill in your mentor profile first.",
    ),
    (
        "group_updated",
        "ok",
        "The session is saved. Its page shows the change to everyone.",
    ),
    (
        "group_seats_given",
        "ok",
        "The session is saved. From the line, seated in the added seats: {0}; passed over (a wallet short of a seat's credits, or another session at that time): {1}. Each was told.",
    ),
    (
        "group_published_weekly",
        "ok",
        "{0} weekly sessions are published, each with its own page, seats and chat: this is the first. The others are on your dashboard and under Group sessions.",
    ),
    (
        "group_published_weekly_off",
        "ok",
        "{0} weekly sessions are published, each with its own page, seats and chat: this is the first. In time you took off: {1} of them (your availability page lists them; cancel those you will miss).",
    ),
    (
        "group_published",
        "ok",
        "Your group session is published: everyone it is open to can take a seat now.",
    ),
    (
        "group_seated",
        "ok",
        "You have a seat. The credits are held until the session.",
    ),
    (
        "group_seated_free",
        "ok",
        "You have a seat. The session is free: nothing is charged.",
    ),
    (
        "group_left_free",
        "info",
        "You left the session: your seat is free for someone else.",
    ),
    (
        "group_waiting",
        "info",
        "The session is full: you are in line. Nothing is charged until you get a seat.",
    ),
    (
        "group_left",
        "info",
        "You left the session: {0} credits are back in your wallet.",
    ),
    ("group_left_line", "info", "You left the line."),
    (
        "group_cancelled",
        "info",
        "The session is cancelled: everyone seated got their credits back, and everyone seated or in line was told.",
    ),
    (
        "group_chat_for_seated",
        "info",
        "A session's chat is for its mentor and the people with a seat.",
    ),
    (
        "group_cancelled_free",
        "info",
        "The session is cancelled: everyone seated or in line was told.",
    ),
    (
        "group_run_cancelled_free",
        "info",
        "{0} dates are cancelled: everyone seated or in line was told.",
    ),
    (
        "group_cancelled_empty",
        "info",
        "The session is cancelled. Nobody had a seat, so no one needed telling.",
    ),
    (
        "group_run_cancelled",
        "info",
        "{0} dates are cancelled: everyone seated got their credits back, and everyone seated or in line was told.",
    ),
    (
        "group_run_cancelled_empty",
        "info",
        "{0} dates are cancelled. Nobody had a seat, so no one needed telling.",
    ),
    (
        "group_attendance",
        "ok",
        "Attendance recorded: the seats are paid to you.",
    ),
    (
        "program_created",
        "ok",
        "The program is created as a draft. Check its details, then open it.",
    ),
    (
        "program_applied",
        "ok",
        "Your application is in. You will be told when you are matched.",
    ),
    (
        "program_joined_pool",
        "ok",
        "You are in the program's pool of mentors.",
    ),
    (
        "program_matched_already",
        "info",
        "You are matched already, so there is no application to withdraw: to stop, end the mentorship from its page.",
    ),
    (
        "program_withdrawn",
        "info",
        "Your application is withdrawn.",
    ),
    ("program_left_pool", "info", "You left the program's pool."),
    ("program_state", "ok", "The program's state changed."),
    ("program_updated", "ok", "The program's details are saved."),
    (
        "calendar_connected",
        "ok",
        "Connected. Its busy times are being read; they block your slots within a minute.",
    ),
    ("calendar_saved", "ok", "Your calendar choices are saved."),
    ("calendar_synced", "ok", "Read just now."),
    (
        "calendar_sync_failed",
        "error",
        "The calendar could not be read: see why below. Its last good busy times still count.",
    ),
    (
        "calendar_feed_off",
        "info",
        "Your calendar address is off: it shows nothing any more. Get a new one whenever you want your sessions in a calendar again.",
    ),
    (
        "calendar_disconnected",
        "info",
        "Disconnected. Its busy times no longer block your slots.",
    ),
    (
        "series_requested",
        "ok",
        "Your series is requested: each session's credits are held until it is over, and all come back if the mentor declines.",
    ),
    (
        "series_requested_free",
        "ok",
        "Your series is requested: the mentor is asked to accept its sessions.",
    ),
    (
        "series_accepted",
        "ok",
        "Every waiting session of the series is accepted.",
    ),
    (
        "series_declined",
        "info",
        "The waiting sessions are declined; their credits went back.",
    ),
    (
        "series_cancelled_mine",
        "info",
        "Sessions cancelled: {0}; {1} of their {2} credits are back in your wallet.",
    ),
    (
        "series_cancelled_mine_program",
        "info",
        "Sessions cancelled: {0}; {1} of their {2} credits are back: {3} in your wallet, {4} in your program credits.",
    ),
    (
        "series_cancelled_mine_ended",
        "info",
        "Sessions cancelled: {0}; {1} of their {2} credits are back: {3} in your wallet, {4} with the program that paid them, which has ended.",
    ),
    (
        "series_cancelled_theirs",
        "info",
        "Sessions cancelled: {0}; {1} of their {2} credits went back to the mentee.",
    ),
    ("program_funded", "ok", "Funding added to the program."),
    (
        "program_manager_added",
        "ok",
        "They manage this program now, and were told.",
    ),
    (
        "program_manager_already",
        "info",
        "They manage this program already: nothing changed.",
    ),
    (
        "program_manager_removed",
        "info",
        "They no longer manage this program.",
    ),
    (
        "program_proposed",
        "ok",
        "Proposals computed. Review them, then publish.",
    ),
    (
        "program_paired",
        "ok",
        "Paired. Publish when the proposal is right.",
    ),
    ("program_swapped", "ok", "The two mentors are swapped."),
    (
        "program_pairing_removed",
        "info",
        "Removed from the proposal; they are waiting again.",
    ),
    (
        "program_published",
        "ok",
        "Published: the pairs are mentorships now, and everyone was told.",
    ),
    (
        "program_chosen",
        "ok",
        "Done: your mentor is told, and your mentorship has started.",
    ),
    ("program_nudges_saved", "ok", "The nudge rules are saved."),
    ("milestone_saved", "ok", "Saved."),
    ("goal_added", "ok", "Goal added."),
    ("goal_renamed", "ok", "Goal renamed."),
    ("goal_removed", "ok", "Goal removed, with its milestones."),
    ("milestone_removed", "ok", "Milestone removed."),
    ("skills_saved", "ok", "Your ratings are saved."),
    ("service_saved", "ok", "Service saved."),
    (
        "service_removed",
        "info",
        "Service removed: mentees can no longer book it; bookings already made stay.",
    ),
    (
        "application_already_decided",
        "info",
        "That application was answered already (in another tab, or the form was sent again): nothing changed. The mentor's account page shows where it stands.",
    ),
    (
        "application_approved",
        "ok",
        "Application approved: the mentor is now listed.",
    ),
    ("application_rejected", "info", "Application rejected."),
    (
        "application_reason_needed",
        "error",
        "Nothing was rejected: say why in the reason box (the applicant reads it to improve the application).",
    ),
    (
        "own_profile",
        "info",
        "This is your own profile: mentees book these times. You cannot book yourself.",
    ),
    (
        "booking_requested",
        "ok",
        "Booking requested: the credits are held until it is done, and all come back if the mentor declines.",
    ),
    (
        "booking_requested_free",
        "ok",
        "Booking requested: the mentor is asked to accept it.",
    ),
    (
        "booking_accepted",
        "ok",
        "Booking accepted. The meeting link is below.",
    ),
    (
        "review_accepted",
        "ok",
        "Review accepted: deliver it below by its due date.",
    ),
    ("booking_declined", "info", "Booking declined."),
    ("booking_cancelled", "info", "Booking cancelled."),
    (
        "booking_cancelled_mine",
        "info",
        "Booking cancelled: {0} of {1} credits are back in your wallet.",
    ),
    (
        "booking_cancelled_mine_program",
        "info",
        "Booking cancelled: {0} of {1} credits are back: {2} in your wallet, {3} in your program credits.",
    ),
    (
        "booking_cancelled_mine_ended",
        "info",
        "Booking cancelled: {0} of {1} credits are back: {2} in your wallet, {3} with the program that paid them, which has ended.",
    ),
    (
        "booking_cancelled_theirs",
        "info",
        "Booking cancelled: {0} of {1} credits went back to the mentee.",
    ),
    (
        "booking_declined_refunded",
        "info",
        "Booking declined: the {0} credits went back to the mentee.",
    ),
    ("booking_completed", "ok", "Session completed."),
    ("booking_no_show", "info", "No-show recorded."),
    ("booking_moved", "ok", "Booking moved to the new time."),
    ("booking_delivered", "ok", "Review delivered."),
    ("notes_saved", "ok", "Notes saved."),
    ("review_saved", "ok", "Thank you for your review."),
    ("reply_saved", "ok", "Reply posted."),
    ("availability_saved", "ok", "Availability saved."),
    ("credits_granted", "ok", "Credits granted."),
    (
        "credits_granted_to",
        "ok",
        "Granted {0} credits to the member below; their balance is now {1}.",
    ),
    (
        "credits_granted_here",
        "ok",
        "Granted {0} credits; their balance is now {1}.",
    ),
    ("notifications_read", "ok", "All notifications marked read."),
    ("preferences_saved", "ok", "Notification settings saved."),
    ("job_retried", "ok", "The job is queued again."),
    ("article_saved", "ok", "Article saved."),
    (
        "article_published",
        "ok",
        "Published: your readers can find it now.",
    ),
    (
        "article_published_unread",
        "info",
        "Published, but only your mentees may read it and you have none yet: nobody can read it until you do, or until you let members or everyone read it.",
    ),
    (
        "article_unpublished",
        "info",
        "Unpublished: the article is a draft again, visible only to you.",
    ),
    ("article_deleted", "info", "Article deleted."),
    ("bookmark_added", "ok", "Saved to your bookmarks."),
    ("bookmark_removed", "info", "Removed from your bookmarks."),
    ("comment_posted", "ok", "Comment posted."),
    (
        "comment_gone",
        "info",
        "That comment is not there any more: it was deleted already (in another tab, or by someone else).",
    ),
    ("comment_deleted", "info", "Comment deleted."),
    (
        "slot_held",
        "info",
        "The time is held for you for 15 minutes while you pay.",
    ),
    (
        "payment_not_open",
        "info",
        "This checkout is no longer open.",
    ),
    ("payment_refunded", "ok", "Payment refunded."),
    ("payment_resolved", "ok", "Marked as resolved."),
    (
        "report_sent",
        "ok",
        "Thank you: the admins will look at your report.",
    ),
    (
        "report_already",
        "info",
        "You already reported this; the admins will look at it.",
    ),
    (
        "report_dismissed",
        "ok",
        "Report dismissed: what was reported stays as it is, and the reporter was told.",
    ),
    (
        "report_removed_article",
        "ok",
        "Report upheld: the article is back in its author's drafts, its author is told, and every open report on it is closed.",
    ),
    (
        "report_removed_content",
        "ok",
        "Report upheld: it is deleted for everyone, its author is told, and every open report on it is closed.",
    ),
    (
        "report_removed_user",
        "ok",
        "Report upheld: the account is suspended and signed out, its coming sessions are cancelled and refunded, and every open report on it is closed.",
    ),
    (
        "dispute_opened",
        "ok",
        "Dispute sent. An administrator will decide; you will both be told.",
    ),
    (
        "dispute_answered",
        "ok",
        "Answer sent. An administrator reads both sides and decides; you will both be told.",
    ),
    (
        "dispute_granted",
        "ok",
        "Dispute granted: the credits moved as its confirmation said, and both people were told.",
    ),
    (
        "dispute_rejected",
        "ok",
        "Dispute rejected: the session's outcome stands, and both people were told.",
    ),
    (
        "credits_asked",
        "ok",
        "Your request is with the administrators: you will be notified of their answer.",
    ),
    ("credits_request_withdrawn", "info", "Request withdrawn."),
    (
        "credit_request_granted",
        "ok",
        "Granted {0} of the {1} credits asked: they are in the member's wallet and they are notified.",
    ),
    (
        "credit_request_declined",
        "info",
        "Declined: the member is notified with your reason.",
    ),
    (
        "credit_request_answered",
        "info",
        "This request was already answered or withdrawn.",
    ),
];

pub(super) fn flash_from_code(raw: &str) -> Option<Flash> {
    let mut parts = raw.split(':');
    let code = parts.next()?;
    let numbers: Vec<&str> = parts.collect();
    let whole = |n: &&str| !n.is_empty() && n.len() <= 12 && n.bytes().all(|b| b.is_ascii_digit());
    if numbers.len() > 5 || !numbers.iter().all(whole) {
        return None;
    }
    let (_, kind, template) = FLASHES.iter().find(|(c, _, _)| *c == code)?;
    // A number for each place its message has ({0}, {1}…): one waiting for a number
    // it was not given is not shown (one given more than it says is, the rest unsaid).
    let places = (0..10)
        .take_while(|i| template.contains(&format!("{{{i}}}")))
        .count();
    if numbers.len() < places {
        return None;
    }
    let mut message = template.to_string();
    for (i, n) in numbers.iter().enumerate() {
        message = message.replace(&format!("{{{i}}}"), n);
    }
    Some(Flash { kind, message })
}

/// The cookie value of a flash with numbers.
pub fn with_numbers(code: &'static str, numbers: &[i64]) -> String {
    numbers
        .iter()
        .fold(code.to_string(), |v, n| format!("{v}:{}", n.max(&0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flash_cookie_adds_whole_numbers_only() {
        let f = flash_from_code("booking_cancelled_mine:15:30").unwrap();
        assert_eq!(
            f.message,
            "Booking cancelled: 15 of 30 credits are back in your wallet."
        );
        assert_eq!(
            flash_from_code("signed_in").unwrap().message,
            "You are signed in."
        );
        for forged in [
            "booking_cancelled_mine:15",
            "booking_cancelled_mine:<b>:30",
            "booking_cancelled_mine:-1:30",
            "booking_cancelled_mine:1:2:3:4:5:6",
            "nope:1",
            "signed_in:",
        ] {
            assert!(flash_from_code(forged).is_none(), "{forged}");
        }
        assert_eq!(
            with_numbers("booking_cancelled_mine", &[15, 30]),
            "booking_cancelled_mine:15:30"
        );
        assert_eq!(
            flash_from_code("series_cancelled_mine_program:2:60:60:40:20")
                .unwrap()
                .message,
            "Sessions cancelled: 2; 60 of their 60 credits are back: 40 in your wallet, 20 in \
             your program credits."
        );
    }
}
