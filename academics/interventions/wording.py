"""The default wording of the three truancy letters, after California's Education Code 48260.5,
48261 and 48262 (what a notice of truancy must tell the family). A school edits its own copy
(LetterTemplate); this is where a new school starts. Placeholders are listed on LetterTemplate.
Paragraphs are separated by a blank line."""

LETTER_1 = (
    "Notification of truancy: {student_name}",
    "\n\n".join(
        [
            "Dear {guardian_name},",
            (
                "Our records show that {student_name} ({class_name}) has been absent from school without a "
                "valid excuse, or late by more than 30 minutes, on {days_count} school days this year: "
                "{days_list}. Under the Education Code (section 48260) a pupil with such a record is "
                "classified as truant, and the law asks us to tell you the following."
            ),
            "\n".join(
                [
                    "1. You are obliged to see that {student_name} attends school every day.",
                    (
                        "2. A parent or guardian who fails to meet this obligation may be found guilty of an "
                        "infraction and be subject to prosecution."
                    ),
                    (
                        "3. Alternative educational programmes are available at this school and in the district; "
                        "please ask us about them."
                    ),
                    (
                        "4. You have the right to meet with school staff to discuss solutions to {student_name}'s "
                        "absences. Please call or write to us to arrange a meeting."
                    ),
                    (
                        "5. A pupil who continues to miss school may be subject to prosecution, and may have their "
                        "driving privileges suspended, restricted or delayed."
                    ),
                    (
                        "6. We recommend that you accompany {student_name} to school and attend classes with them "
                        "for one day."
                    ),
                ]
            ),
            (
                "We want to work with you so that {student_name} does not fall behind. Please contact the "
                "attendance office at your earliest opportunity."
            ),
            "\n".join(
                [
                    "Yours sincerely,",
                    "{officer_name}",
                    "{school_name}",
                ]
            ),
        ]
    ),
)

LETTER_2 = (
    "Second notification of truancy: {student_name}",
    "\n\n".join(
        [
            "Dear {guardian_name},",
            (
                "We wrote to you earlier about {student_name}'s absences. Since then {student_name} "
                "({class_name}) has again been absent without a valid excuse, or late by more than 30 "
                "minutes. The school days counted this year are now {days_count}: {days_list}."
            ),
            (
                "Under the Education Code (section 48261) this is a second report of truancy. "
                "{student_name} may now be required to attend a makeup class or a recovery session, and the"
                " school may refer the matter to the school attendance review team."
            ),
            (
                "Please contact the attendance office within five school days so that we can agree together"
                " how {student_name} will attend every day."
            ),
            "\n".join(
                [
                    "Yours sincerely,",
                    "{officer_name}",
                    "{school_name}",
                ]
            ),
        ]
    ),
)

LETTER_3 = (
    "Notification of habitual truancy: {student_name}",
    "\n\n".join(
        [
            "Dear {guardian_name},",
            (
                "Despite our earlier letters, {student_name} ({class_name}) has been absent without a valid"
                " excuse, or late by more than 30 minutes, on {days_count} school days this year: "
                "{days_list}. Under the Education Code (section 48262) {student_name} is now classified as "
                "a habitual truant."
            ),
            (
                "We ask you to attend a conference with the school to find a solution. If attendance does "
                "not improve, the school may refer {student_name} to the School Attendance Review Board "
                "(SARB), as section 48263 provides, which can direct the family to services and set "
                "conditions for attendance."
            ),
            "Please contact the attendance office now to arrange the conference.",
            "\n".join(
                [
                    "Yours sincerely,",
                    "{officer_name}",
                    "{school_name}",
                ]
            ),
        ]
    ),
)

DEFAULTS = {"letter_1": LETTER_1, "letter_2": LETTER_2, "letter_3": LETTER_3}
