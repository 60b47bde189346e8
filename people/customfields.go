package people

import (
	"strconv"
	"time"
)

// Data types a custom field can have.
var CustomFieldDataTypes = []string{"Text", "Number", "Date", "Boolean"}

// checkCustomValue returns what is wrong with value for a field of the
// given data type, or "".
func checkCustomValue(dataType, value string) string {
	switch dataType {
	case "Number":
		if _, err := strconv.ParseFloat(value, 64); err != nil {
			return "the value must be a number."
		}
	case "Date":
		if _, err := time.Parse(time.DateOnly, value); err != nil {
			return "the value must be a date (YYYY-MM-DD)."
		}
	case "Boolean":
		if value != "true" && value != "false" {
			return "the value must be true or false."
		}
	}
	return ""
}

func itoa(id int64) string { return strconv.FormatInt(id, 10) }
